import { z } from "zod";
import { type BrokerConfig, brokerConfigFrom, brokerEnv } from "../broker/config.ts";
import { channelEnv } from "../channels/config.ts";
import { sessionEnv } from "../sessions/config.ts";
import { env, tokenEnv } from "./env.ts";

/**
 * Where a distributed-mode service process finds its dependencies: PostgreSQL, NATS, and the
 * auth service's public keys. The producer and the consumer read these the same way.
 */
export const processEnv = {
  DATABASE_URL: z.url(),
  AUTH_JWKS_URL: z.url().default("http://127.0.0.1:8082/.well-known/jwks.json"),
  LOG_LEVEL: env.logLevel(),
  ...brokerEnv,
  ...tokenEnv,
  ...channelEnv,
  ...sessionEnv,
};

const ProcessEnvSchema = z.object(processEnv);

/** Process-wide settings the services' adapters follow. */
export interface ServicePolicy {
  /** Channels one user may create per hour. */
  channelsPerHour: number;
  /** How often revoked sessions are looked for. */
  sessionPollMs: number;
}

export interface ProcessDeps {
  databaseUrl: string;
  broker: BrokerConfig;
  jwksUrl: string;
  issuer: string;
  audience: string;
  logLevel: z.infer<typeof ProcessEnvSchema>["LOG_LEVEL"];
  policy: ServicePolicy;
}

export function processDepsFrom(e: z.infer<typeof ProcessEnvSchema>): ProcessDeps {
  return {
    databaseUrl: e.DATABASE_URL,
    broker: brokerConfigFrom(e),
    jwksUrl: e.AUTH_JWKS_URL,
    issuer: e.AUTH_ISSUER,
    audience: e.AUTH_AUDIENCE,
    logLevel: e.LOG_LEVEL,
    policy: policyFrom(e),
  };
}

export function policyFrom(
  e: { CHANNELS_PER_USER_PER_HOUR: number; SESSION_REVOCATION_POLL_MS: number },
): ServicePolicy {
  return {
    channelsPerHour: e.CHANNELS_PER_USER_PER_HOUR,
    sessionPollMs: e.SESSION_REVOCATION_POLL_MS,
  };
}
