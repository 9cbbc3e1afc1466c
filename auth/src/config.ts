import { z } from "zod";
import { corsEnv, env, parseEnv, tokenEnv } from "../../shared/config/env.ts";

export const AuthConfigSchema = z.object({
  AUTH_HTTP_PORT: env.port(8082),
  AUTH_GRPC_PORT: env.port(50051),
  DATABASE_URL: z.url(),
  /** A private Ed25519 JWK (JSON). When unset, a key is made once and kept in AUTH_KEY_FILE. */
  AUTH_PRIVATE_JWK: z.string().optional(),
  AUTH_KEY_FILE: z.string().default("./data/auth/signing-key.json"),
  /** Public keys of retired signing keys (a JWKS as JSON), still accepted during a rotation. */
  AUTH_RETIRED_PUBLIC_JWKS: z.string().optional(),
  ACCESS_TOKEN_TTL_SECONDS: env.positiveInt(900),
  REFRESH_TOKEN_TTL_SECONDS: env.positiveInt(30 * 24 * 3600),
  /** Absolute lifetime of a login's refresh tokens, however often they are rotated. */
  REFRESH_FAMILY_MAX_AGE_SECONDS: env.positiveInt(30 * 24 * 3600),
  AUTH_THROTTLE_MAX_FAILURES: env.positiveInt(10),
  AUTH_THROTTLE_WINDOW_SECONDS: env.positiveInt(60),
  LOG_LEVEL: env.logLevel(),
  ...tokenEnv,
  ...corsEnv,
});

export type AuthConfig = {
  httpPort: number;
  grpcPort: number;
  databaseUrl: string;
  privateJwk?: string;
  keyFile: string;
  retiredPublicJwks?: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshFamilyMaxAgeSeconds: number;
  throttle: { maxFailures: number; windowSeconds: number };
  issuer: string;
  audience: string;
  logLevel: z.infer<typeof AuthConfigSchema>["LOG_LEVEL"];
  corsOrigins: string[];
};

export function loadAuthConfig(vars?: Record<string, string | undefined>): AuthConfig {
  const e = parseEnv(AuthConfigSchema, vars);
  return {
    httpPort: e.AUTH_HTTP_PORT,
    grpcPort: e.AUTH_GRPC_PORT,
    databaseUrl: e.DATABASE_URL,
    privateJwk: e.AUTH_PRIVATE_JWK,
    keyFile: e.AUTH_KEY_FILE,
    retiredPublicJwks: e.AUTH_RETIRED_PUBLIC_JWKS,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
    refreshFamilyMaxAgeSeconds: e.REFRESH_FAMILY_MAX_AGE_SECONDS,
    throttle: {
      maxFailures: e.AUTH_THROTTLE_MAX_FAILURES,
      windowSeconds: e.AUTH_THROTTLE_WINDOW_SECONDS,
    },
    issuer: e.AUTH_ISSUER,
    audience: e.AUTH_AUDIENCE,
    logLevel: e.LOG_LEVEL,
    corsOrigins: e.CORS_ORIGINS,
  };
}
