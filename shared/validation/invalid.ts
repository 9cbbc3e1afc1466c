import type { z } from "zod";
import { AppError } from "../errors.ts";

/**
 * The one mapping of a failed zod parse to the INVALID error a client sees: the first issue,
 * prefixed by the field it is about ("password: must be at least 8 characters").
 */
export function invalidInput(error: z.ZodError): AppError {
  const issue = error.issues[0];
  const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
  return new AppError("INVALID", `${where}${issue.message}`);
}

/** Parses `input` with `schema`, throwing invalidInput's INVALID error on a failure. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw invalidInput(result.error);
  return result.data;
}
