import { z } from "zod";
import { env, parseEnv, tokenEnv } from "../../shared/config/env.ts";

export const AuthConfigSchema = z.object({
  AUTH_HTTP_PORT: env.port(8082),
  AUTH_GRPC_PORT: env.port(50051),
  DATABASE_URL: z.url(),
  /** A private Ed25519 JWK (JSON). When unset, a key is made once and kept in AUTH_KEY_FILE. */
  AUTH_PRIVATE_JWK: z.string().optional(),
  AUTH_KEY_FILE: z.string().default("./data/auth/signing-key.json"),
  ACCESS_TOKEN_TTL_SECONDS: env.positiveInt(900),
  LOG_LEVEL: env.logLevel(),
  ...tokenEnv,
});

export type AuthConfig = {
  httpPort: number;
  grpcPort: number;
  databaseUrl: string;
  privateJwk?: string;
  keyFile: string;
  accessTokenTtlSeconds: number;
  issuer: string;
  audience: string;
  logLevel: z.infer<typeof AuthConfigSchema>["LOG_LEVEL"];
};

export function loadAuthConfig(vars?: Record<string, string | undefined>): AuthConfig {
  const e = parseEnv(AuthConfigSchema, vars);
  return {
    httpPort: e.AUTH_HTTP_PORT,
    grpcPort: e.AUTH_GRPC_PORT,
    databaseUrl: e.DATABASE_URL,
    privateJwk: e.AUTH_PRIVATE_JWK,
    keyFile: e.AUTH_KEY_FILE,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    issuer: e.AUTH_ISSUER,
    audience: e.AUTH_AUDIENCE,
    logLevel: e.LOG_LEVEL,
  };
}
