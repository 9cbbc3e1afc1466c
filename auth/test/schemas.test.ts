import assert from "node:assert/strict";
import { AppError } from "../../shared/errors.ts";
import { validate } from "../../shared/validation/invalid.ts";
import { RefreshInput, RegisterInput } from "../src/schemas.ts";

Deno.test("auth input errors name their field once", () => {
  const email = "ada@example.com";
  const cases: [() => unknown, string][] = [
    [() => validate(RegisterInput, { email, password: "short" }), "password: must be at least 8"],
    [() => validate(RegisterInput, { email, password: "x".repeat(129) }), "password: must be at"],
    [
      () => validate(RegisterInput, { email, password: "long enough", displayName: " " }),
      "displayName: must not be empty",
    ],
    [() => validate(RefreshInput, { refreshToken: "" }), "refreshToken: is required"],
  ];
  for (const [run, start] of cases) {
    assert.throws(run, (err) => {
      assert.ok(err instanceof AppError && err.code === "INVALID");
      assert.ok(err.message.startsWith(start), err.message);
      return true;
    });
  }
});
