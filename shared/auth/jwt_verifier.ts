import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { AppError } from "../errors.ts";
import type { Principal, TokenVerifier } from "../ports/tokens.ts";

/** Algorithms we accept; anything else (notably `none` and HMAC confusion) is refused. */
export const ACCEPTED_ALGORITHMS = ["EdDSA"];
const CLOCK_SKEW_SECONDS = 5;

/**
 * jose's failures to obtain keys (HTTP error, bad JSON, timeout, bad key set). Everything a token
 * can cause has a more specific code; network errors are not JOSE errors at all.
 */
const KEY_FETCH_FAILURES = new Set(["ERR_JOSE_GENERIC", "ERR_JWKS_TIMEOUT", "ERR_JWKS_INVALID"]);

function isKeyOutage(err: unknown): boolean {
  return !(err instanceof errors.JOSEError) || KEY_FETCH_FAILURES.has(err.code);
}

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

  /**
   * Keys fetched from a JWKS URL, cached, and refetched when a token names an unknown `kid` — at
   * most once per `cooldownMs`, so tokens with made-up kids cannot turn into a flood on auth. After
   * auth rotates its key, tokens with the new kid verify here within `cooldownMs`.
   */
  static fromJwksUrl(
    url: string,
    issuer: string,
    audience: string,
    opts: { cooldownMs?: number } = {},
  ): JwtVerifier {
    return new JwtVerifier(
      createRemoteJWKSet(new URL(url), {
        cooldownDuration: opts.cooldownMs ?? 30_000,
        cacheMaxAge: 600_000,
        timeoutDuration: 5_000,
      }),
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
      return { userId: payload.sub!, expiresAt: payload.exp!, issuedAt: payload.iat! };
    } catch (err) {
      // A JWKS endpoint that cannot be reached is our outage, not the client's bad token.
      if (isKeyOutage(err)) throw new AppError("UNAVAILABLE", "token keys are unavailable");
      // One message for every reason: which check failed is no business of the caller.
      throw new AppError("UNAUTHENTICATED", "invalid or expired token");
    }
  }
}

/** The bearer token of an `Authorization` header, or undefined. */
export function bearerToken(header: string | null | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}
