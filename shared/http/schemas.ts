import { z } from "@hono/zod-openapi";
import { ERROR_CODES } from "../errors.ts";

/** An OpenAPI JSON body or response content for `schema`, the shape every route declares. */
export const jsonContent = <T>(schema: T) => ({ content: { "application/json": { schema } } });

/** OpenAPI component for the shared error shape, referenced by every route's error responses. */
export const ErrorResponse = z.object({
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }),
}).openapi("Error");

export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [s, { description: "error", ...jsonContent(ErrorResponse) }]),
  );
}
