import { z } from "zod";
import { corsEnv, env, metricsEnv, parseEnv } from "../../shared/config/env.ts";
import { Namespaces } from "../../shared/namespaces/namespaces.ts";
import {
  type ProxyHookConfig,
  proxyHookEnv,
  proxyHooksFrom,
} from "../../shared/proxy_hooks/config.ts";
import type { GrpcListen } from "../../shared/grpc/serve.ts";
import { type WebhookConfig, webhookEnv, webhooksFrom } from "./webhooks.ts";
import { type ProcessDeps, processDepsFrom, processEnv } from "../../shared/config/process.ts";
import type { Rate } from "../../shared/rate/token_bucket.ts";

// The distributed services' default ports, where the page looks for auth and the producer.
const DEFAULT_AUTH_PORT = 8082;
const DEFAULT_PRODUCER_PORT = 8080;

/** The consumer's own settings, shared by the distributed process and the single-node start. */
export const ConsumerSettingsSchema = z.object({
  CONSUMER_PORT: env.port(8081),
  // The server API (all but publishing) over gRPC, only when a port is set (plaintext, so
  // loopback unless told otherwise).
  CONSUMER_GRPC_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  CONSUMER_GRPC_HOST: z.string().min(1).default("127.0.0.1"),
  PERSIST_BATCH_SIZE: z.coerce.number().int().min(1).max(4096).default(256),
  /** Batches an instance stores at once over all its partitions (each is one transaction). */
  PERSIST_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  CONSUMER_MAX_CONNECTIONS: env.positiveInt(50_000),
  MAX_CONNECTIONS_PER_USER: env.positiveInt(20),
  MAX_SUBSCRIPTIONS_PER_SOCKET: env.positiveInt(100),
  MAX_BUFFERED_BYTES: env.positiveInt(1024 * 1024),
  MAX_QUEUED_FRAMES: env.positiveInt(10_000),
  CONSUMER_MAX_FRAME_BYTES: env.positiveInt(64 * 1024),
  /** Subscribe/unsubscribe frames per socket: sustained rate and burst (a page's first sync). */
  SUBSCRIBE_RATE_PER_SECOND: env.positiveInt(10),
  SUBSCRIBE_RATE_BURST: env.positiveInt(100),
  /** Channel API requests (channels, members, read markers, history, DMs) per user. */
  API_RATE_PER_SECOND: env.positiveInt(20),
  API_RATE_BURST: env.positiveInt(60),
  /** Message searches per user and minute (each is a full-text query, dearer than the rest). */
  SEARCH_RATE_PER_MINUTE: env.positiveInt(30),
  /** Presence frames per channel and second, at most, whatever the churn (changes coalesce). */
  PRESENCE_FLUSHES_PER_SECOND: z.coerce.number().int().min(1).max(100).default(4),
  /** A killed instance's users leave every channel within this time (heartbeats every TTL/3). */
  PRESENCE_TTL_MS: z.coerce.number().int().min(300).max(600_000).default(30_000),
  /** How often idle subscriptions are checked against PostgreSQL for a lost live message. */
  DELIVERY_RESYNC_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  // Where browsers reach auth and the producer; unset: the page's host on ports 8082 / 8080.
  WEB_AUTH_URL: z.url().optional(),
  WEB_PRODUCER_URL: z.url().optional(),
  ...webhookEnv,
  NAMESPACES_FILE: z.string().optional(),
  ...proxyHookEnv,
  /** How often namespaces' history retention runs (a bounded amount each time). */
  RETENTION_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
  ...corsEnv,
  ...metricsEnv,
});

/**
 * Where the page's browser reaches the other two services: public URLs when configured, else the
 * page's own host on these ports.
 */
export interface WebEndpoints {
  authUrl?: string;
  producerUrl?: string;
  authPort: number;
  producerPort: number;
}

export interface ConsumerConfig {
  port: number;
  /** Where the server API is served over gRPC; not at all when absent. */
  grpc?: GrpcListen;
  persist: { batchSize: number; concurrency: number };
  sockets: {
    maxConnections: number;
    maxConnectionsPerUser: number;
    maxSubscriptionsPerSocket: number;
    maxBufferedBytes: number;
    maxQueuedFrames: number;
    maxFrameBytes: number;
    subscribeRate: Rate;
  };
  apiRate: Rate;
  searchRate: Rate;
  presence: { ttlMs: number; flushesPerSecond: number };
  delivery: { resyncMs: number };
  /** Where the chat page calls auth and the producer. */
  web: WebEndpoints;
  corsOrigins: string[];
  /** Where every stored message is announced; no webhooks when absent. */
  webhooks?: WebhookConfig;
  namespaces: Namespaces;
  /** Namespaces' proxy hooks: the signing key and the bound on calls out at once. */
  proxyHooks: ProxyHookConfig;
  retention: { intervalMs: number };
  metricsToken?: string;
}

export function loadConsumerSettings(vars?: Record<string, string | undefined>): ConsumerConfig {
  return consumerSettingsFrom(parseEnv(ConsumerSettingsSchema, vars));
}

function consumerSettingsFrom(e: z.infer<typeof ConsumerSettingsSchema>): ConsumerConfig {
  const namespaces = Namespaces.load(e.NAMESPACES_FILE);
  return {
    port: e.CONSUMER_PORT,
    ...(e.CONSUMER_GRPC_PORT === undefined
      ? {}
      : { grpc: { host: e.CONSUMER_GRPC_HOST, port: e.CONSUMER_GRPC_PORT } }),
    persist: { batchSize: e.PERSIST_BATCH_SIZE, concurrency: e.PERSIST_CONCURRENCY },
    sockets: {
      maxConnections: e.CONSUMER_MAX_CONNECTIONS,
      maxConnectionsPerUser: e.MAX_CONNECTIONS_PER_USER,
      maxSubscriptionsPerSocket: e.MAX_SUBSCRIPTIONS_PER_SOCKET,
      maxBufferedBytes: e.MAX_BUFFERED_BYTES,
      maxQueuedFrames: e.MAX_QUEUED_FRAMES,
      maxFrameBytes: e.CONSUMER_MAX_FRAME_BYTES,
      subscribeRate: { perSecond: e.SUBSCRIBE_RATE_PER_SECOND, burst: e.SUBSCRIBE_RATE_BURST },
    },
    apiRate: { perSecond: e.API_RATE_PER_SECOND, burst: e.API_RATE_BURST },
    searchRate: { perSecond: e.SEARCH_RATE_PER_MINUTE / 60, burst: e.SEARCH_RATE_PER_MINUTE },
    presence: { ttlMs: e.PRESENCE_TTL_MS, flushesPerSecond: e.PRESENCE_FLUSHES_PER_SECOND },
    delivery: { resyncMs: e.DELIVERY_RESYNC_MS },
    web: {
      authUrl: e.WEB_AUTH_URL,
      producerUrl: e.WEB_PRODUCER_URL,
      authPort: DEFAULT_AUTH_PORT,
      producerPort: DEFAULT_PRODUCER_PORT,
    },
    corsOrigins: e.CORS_ORIGINS,
    webhooks: webhooksFrom(e),
    namespaces,
    proxyHooks: proxyHooksFrom(e, namespaces),
    retention: { intervalMs: e.RETENTION_INTERVAL_MS },
    metricsToken: e.METRICS_TOKEN,
  };
}

const ConsumerProcessSchema = ConsumerSettingsSchema.extend(processEnv);

/** The distributed-mode process: the consumer plus where its dependencies live. */
export interface ConsumerProcessConfig extends ConsumerConfig, ProcessDeps {}

export function loadConsumerConfig(
  vars?: Record<string, string | undefined>,
): ConsumerProcessConfig {
  const e = parseEnv(ConsumerProcessSchema, vars);
  return {
    ...consumerSettingsFrom(e),
    ...processDepsFrom(e),
  };
}
