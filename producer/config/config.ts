import { z } from "zod";
import { corsEnv, env, metricsEnv, parseEnv } from "../../shared/config/env.ts";
import { type ProcessDeps, processDepsFrom, processEnv } from "../../shared/config/process.ts";
import { brokerEnv } from "../../shared/broker/config.ts";
import { Namespaces } from "../../shared/namespaces/namespaces.ts";
import {
  type ProxyHookConfig,
  proxyHookEnv,
  proxyHooksFrom,
} from "../../shared/proxy_hooks/config.ts";
import type { GrpcListen } from "../../shared/grpc/serve.ts";
import type { Rate } from "../../shared/rate/token_bucket.ts";

/** The producer's own settings, shared by the distributed process and the single-node start. */
export const ProducerSettingsSchema = z.object({
  PRODUCER_PORT: env.port(8080),
  // The server API's Publish and Broadcast over gRPC, only when a port is set (plaintext, so
  // loopback unless told otherwise).
  PRODUCER_GRPC_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  PRODUCER_GRPC_HOST: z.string().min(1).default("127.0.0.1"),
  MAX_BODY_BYTES: brokerEnv.MAX_BODY_BYTES,
  MAX_FRAME_BYTES: env.positiveInt(1024 * 1024),
  PUBLISH_TIMEOUT_MS: env.positiveInt(2_000),
  RATE_PER_SECOND: env.positiveInt(50),
  RATE_BURST: env.positiveInt(100),
  // Per user across its sockets; unset, twice the per-socket rate (two tabs at full speed).
  USER_RATE_PER_SECOND: z.coerce.number().int().positive().optional(),
  USER_RATE_BURST: z.coerce.number().int().positive().optional(),
  FLOOD_STRIKES: env.positiveInt(200),
  // Server API publishes, per sender (the system user is one sender for all of a backend's).
  SERVER_RATE_PER_SECOND: env.positiveInt(1_000),
  SERVER_RATE_BURST: env.positiveInt(2_000),
  MAX_CONNECTIONS: env.positiveInt(10_000),
  MAX_CONNECTIONS_PER_USER: env.positiveInt(20),
  DRAIN_GRACE_MS: z.coerce.number().int().min(0).default(2_000),
  NAMESPACES_FILE: z.string().optional(),
  ...proxyHookEnv,
  ...corsEnv,
  ...metricsEnv,
});

const ProducerProcessSchema = ProducerSettingsSchema.extend(processEnv);

export interface PublishLimits {
  maxBodyBytes: number;
  maxFrameBytes: number;
  publishTimeoutMs: number;
  connectionRate: Rate;
  userRate: Rate;
  /** Per sender of server API publishes. */
  serverRate: Rate;
  /** RATE_LIMITED answers a socket may collect (regained at its rate) before it is closed (4029). */
  floodStrikes: number;
  maxConnections: number;
  maxConnectionsPerUser: number;
}

/** What the producer itself needs, whatever the mode; broker and keys come as dependencies. */
export interface ProducerConfig {
  port: number;
  /** Where the server API is served over gRPC; not at all when absent. */
  grpc?: GrpcListen;
  limits: PublishLimits;
  /** On SIGTERM, how long /ready reports 503 while sockets keep working, before they close. */
  drainGraceMs: number;
  corsOrigins: string[];
  namespaces: Namespaces;
  /** Namespaces' proxy hooks: the signing key and the bound on calls out at once. */
  proxyHooks: ProxyHookConfig;
  metricsToken?: string;
}

/** The distributed-mode process: the producer plus where its dependencies live. */
export interface ProducerProcessConfig extends ProducerConfig, ProcessDeps {}

export function loadProducerSettings(vars?: Record<string, string | undefined>): ProducerConfig {
  return producerSettingsFrom(parseEnv(ProducerSettingsSchema, vars));
}

function producerSettingsFrom(e: z.infer<typeof ProducerSettingsSchema>): ProducerConfig {
  const namespaces = Namespaces.load(e.NAMESPACES_FILE);
  return {
    port: e.PRODUCER_PORT,
    ...(e.PRODUCER_GRPC_PORT === undefined
      ? {}
      : { grpc: { host: e.PRODUCER_GRPC_HOST, port: e.PRODUCER_GRPC_PORT } }),
    limits: {
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxFrameBytes: e.MAX_FRAME_BYTES,
      publishTimeoutMs: e.PUBLISH_TIMEOUT_MS,
      connectionRate: { perSecond: e.RATE_PER_SECOND, burst: e.RATE_BURST },
      userRate: {
        perSecond: e.USER_RATE_PER_SECOND ?? 2 * e.RATE_PER_SECOND,
        burst: e.USER_RATE_BURST ?? 2 * e.RATE_BURST,
      },
      serverRate: { perSecond: e.SERVER_RATE_PER_SECOND, burst: e.SERVER_RATE_BURST },
      floodStrikes: e.FLOOD_STRIKES,
      maxConnections: e.MAX_CONNECTIONS,
      maxConnectionsPerUser: e.MAX_CONNECTIONS_PER_USER,
    },
    drainGraceMs: e.DRAIN_GRACE_MS,
    corsOrigins: e.CORS_ORIGINS,
    namespaces,
    proxyHooks: proxyHooksFrom(e, namespaces),
    metricsToken: e.METRICS_TOKEN,
  };
}

export function loadProducerConfig(
  vars?: Record<string, string | undefined>,
): ProducerProcessConfig {
  const e = parseEnv(ProducerProcessSchema, vars);
  return {
    ...producerSettingsFrom(e),
    ...processDepsFrom(e),
  };
}
