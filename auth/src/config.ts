import { isIP } from "node:net";
import { z } from "zod";
import { corsEnv, env, metricsEnv, parseEnv, tokenEnv } from "../../shared/config/env.ts";
import type { ScryptParams } from "./passwords.ts";

/** A network allowed to set X-Forwarded-For: `10.0.0.0/8`, `2001:db8::/32`, or one address. */
export interface Cidr {
  address: string;
  prefix: number;
  family: "ipv4" | "ipv6";
}

function parseCidr(text: string, ctx: z.RefinementCtx): Cidr {
  const [address, bits, ...rest] = text.split("/");
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!version || rest.length || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    ctx.addIssue({ code: "custom", message: `not an address or CIDR: ${text}` });
    return z.NEVER;
  }
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

const count = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export const AuthConfigSchema = z.object({
  AUTH_HTTP_PORT: env.port(8082),
  AUTH_GRPC_PORT: env.port(50051),
  /**
   * gRPC is plaintext (Deno's node:http2 cannot serve TLS yet): loopback only unless deliberately
   * exposed, e.g. to a TLS-terminating proxy (docs/SECURITY.md).
   */
  AUTH_GRPC_HOST: z.string().min(1).default("127.0.0.1"),
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
  AUTH_REGISTER_MAX_PER_WINDOW: env.positiveInt(20),
  AUTH_REGISTER_WINDOW_SECONDS: env.positiveInt(3600),
  AUTH_SEARCH_MAX_PER_MINUTE: env.positiveInt(30),
  /** scrypt cost as log2(N); 17 with r=8 (128 MiB per hash) is current guidance (OWASP). */
  AUTH_SCRYPT_LOG2_N: z.coerce.number().int().min(10).max(22).default(17),
  AUTH_SCRYPT_R: z.coerce.number().int().min(1).max(32).default(8),
  AUTH_SCRYPT_P: z.coerce.number().int().min(1).max(16).default(1),
  /** Hashes running at once (each holds 128·N·r bytes) and hashes allowed to wait for a slot. */
  AUTH_HASH_CONCURRENCY: env.positiveInt(2),
  AUTH_HASH_QUEUE: count(16),
  /** Peers whose X-Forwarded-For is believed (comma-separated CIDRs); none by default. */
  TRUSTED_PROXIES: z.string().default("").transform((s, ctx) =>
    s.split(",").map((c) => c.trim()).filter(Boolean).map((c) => parseCidr(c, ctx))
  ),
  LOG_LEVEL: env.logLevel(),
  ...tokenEnv,
  ...corsEnv,
  ...metricsEnv,
});

export interface ThrottleConfig {
  maxAttempts: number;
  windowSeconds: number;
}

export type AuthConfig = {
  httpPort: number;
  grpcPort: number;
  grpcHost: string;
  databaseUrl: string;
  privateJwk?: string;
  keyFile: string;
  retiredPublicJwks?: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshFamilyMaxAgeSeconds: number;
  /** Failed logins per client address (IPv6: per /64) and per account. */
  loginThrottle: ThrottleConfig;
  /** Registrations per client address (IPv6: per /64). */
  registerThrottle: ThrottleConfig;
  /** User searches per account (a directory must not be cheap to enumerate). */
  searchThrottle: ThrottleConfig;
  scrypt: ScryptParams;
  hashing: { concurrency: number; queue: number };
  trustedProxies: Cidr[];
  issuer: string;
  audience: string;
  logLevel: z.infer<typeof AuthConfigSchema>["LOG_LEVEL"];
  corsOrigins: string[];
  metricsToken?: string;
};

export function loadAuthConfig(vars?: Record<string, string | undefined>): AuthConfig {
  const e = parseEnv(AuthConfigSchema, vars);
  return {
    httpPort: e.AUTH_HTTP_PORT,
    grpcPort: e.AUTH_GRPC_PORT,
    grpcHost: e.AUTH_GRPC_HOST,
    databaseUrl: e.DATABASE_URL,
    privateJwk: e.AUTH_PRIVATE_JWK,
    keyFile: e.AUTH_KEY_FILE,
    retiredPublicJwks: e.AUTH_RETIRED_PUBLIC_JWKS,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
    refreshFamilyMaxAgeSeconds: e.REFRESH_FAMILY_MAX_AGE_SECONDS,
    loginThrottle: {
      maxAttempts: e.AUTH_THROTTLE_MAX_FAILURES,
      windowSeconds: e.AUTH_THROTTLE_WINDOW_SECONDS,
    },
    registerThrottle: {
      maxAttempts: e.AUTH_REGISTER_MAX_PER_WINDOW,
      windowSeconds: e.AUTH_REGISTER_WINDOW_SECONDS,
    },
    searchThrottle: { maxAttempts: e.AUTH_SEARCH_MAX_PER_MINUTE, windowSeconds: 60 },
    scrypt: { n: 2 ** e.AUTH_SCRYPT_LOG2_N, r: e.AUTH_SCRYPT_R, p: e.AUTH_SCRYPT_P },
    hashing: { concurrency: e.AUTH_HASH_CONCURRENCY, queue: e.AUTH_HASH_QUEUE },
    trustedProxies: e.TRUSTED_PROXIES,
    issuer: e.AUTH_ISSUER,
    audience: e.AUTH_AUDIENCE,
    logLevel: e.LOG_LEVEL,
    corsOrigins: e.CORS_ORIGINS,
    metricsToken: e.METRICS_TOKEN,
  };
}
