import { bearerToken } from "../../../../shared/auth/jwt_verifier.ts";
import { AppError } from "../../../../shared/errors.ts";
import type { Principal, TokenVerifier } from "../../../../shared/ports/tokens.ts";

/** The caller of an HTTP request, from its `Authorization: Bearer` header. */
export function authenticate(
  verifier: TokenVerifier,
  authorization: string | undefined,
): Promise<Principal> {
  const token = bearerToken(authorization);
  if (!token) return Promise.reject(new AppError("UNAUTHENTICATED", "missing bearer token"));
  return verifier.verify(token);
}
