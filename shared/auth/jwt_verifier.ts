import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import { AppError } from "../errors.ts";
import type { Principal, TokenVerifier } from "../ports/tokens.ts";

/** Algorithms we accept; anything else (notably `none` and HMAC confusion) is refused. */
export const ACCEPTED_ALGORITHMS = ["EdDSA"];
const CLOCK_SKEW_SECONDS = 5;

/**
 * Verifies access tokens locally against the auth service's public keys, so a publish never waits
 * on a network call to auth and messaging keeps working while auth restarts.
 */
export class JwtVerifier implements TokenVerifier {
  constructor(
    private readonly keys: JWTVerifyGetKey,
    private readonly issuer: string,
    private readonly audience: string,
  ) {}

  /** Keys fetched from a JWKS URL, cached, and refetched when a token names an unknown `kid`. */
  static fromJwksUrl(url: string, issuer: string, audience: string): JwtVerifier {
    return new JwtVerifier(
      createRemoteJWKSet(new URL(url), { cooldownDuration: 30_000, cacheMaxAge: 600_000 }),
      issuer,
      audience,
    );
  }

  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.issuer,
        audience: this.audience,
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ["sub", "exp", "iat", "jti"],
      });
      return { userId: payload.sub!, expiresAt: payload.exp! };
    } catch (err) {
      // A JWKS endpoint that cannot be reached is our outage, not the client's bad token.
      if (err instanceof Error && /fetch|ECONNREFUSED|timed? ?out/i.test(err.message)) {
        throw new AppError("UNAVAILABLE", "token keys are unavailable");
      }
      throw new AppError("UNAUTHENTICATED", "invalid or expired token");
    }
  }
}

/** The bearer token of an `Authorization` header, or undefined. */
export function bearerToken(header: string | null | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}
