import type { z } from "zod";
import { AppError } from "../errors.ts";
import { validate } from "../validation/invalid.ts";

/**
 * Parses one text frame against a schema. Every failure is an INVALID AppError with a message a
 * client developer can act on, never a thrown SyntaxError or ZodError.
 */
export function parseFrame<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  if (typeof data !== "string") throw new AppError("INVALID", "binary frames are not supported");
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new AppError("INVALID", "frame is not valid JSON");
  }
  return validate(schema, json);
}

/** The request id of a frame that failed validation, so the error can still be correlated. */
export function requestIdOf(data: unknown): number | string | undefined {
  if (typeof data !== "string") return undefined;
  try {
    const id = (JSON.parse(data) as { id?: unknown })?.id;
    return typeof id === "number" || (typeof id === "string" && id.length <= 64) ? id : undefined;
  } catch {
    return undefined;
  }
}
