import assert from "node:assert/strict";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { validate } from "./invalid.ts";

Deno.test("validate: the first issue is INVALID, prefixed by its field", () => {
  const schema = z.object({ user: z.object({ age: z.number().min(0, "must not be negative") }) });
  assert.deepEqual(validate(schema, { user: { age: 3 } }), { user: { age: 3 } });
  assert.throws(
    () => validate(schema, { user: { age: -1 } }),
    (err) =>
      err instanceof AppError && err.code === "INVALID" &&
      err.message === "user.age: must not be negative",
  );
  assert.throws(
    () => validate(z.string(), 1),
    // No path, no prefix: zod's message as it is.
    (err) => err instanceof AppError && /^Invalid input/.test(err.message),
  );
});
