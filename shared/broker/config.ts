import { z } from "zod";
import { env } from "../config/env.ts";

/** Broker settings every service reads the same way (distributed mode). */
export const brokerEnv = {
  /** One server or a comma-separated list (a cluster): the client fails over between them. */
  NATS_URL: z.string().min(1),
  /** Credentials when NATS requires them (nats.js ignores any in the URL). */
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  NATS_NAMESPACE: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, "must match [A-Za-z0-9_-]{1,32}")
    .optional(),
  STREAM_MAX_AGE_SECONDS: env.positiveInt(7 * 24 * 3600),
  STREAM_DUPLICATE_WINDOW_SECONDS: z.coerce.number().int().min(120).default(120),
  STREAM_MAX_BYTES: env.positiveInt(1024 * 1024 * 1024),
  MAX_BODY_BYTES: env.positiveInt(16 * 1024),
  /** Replicas of every stream and bucket the system creates: 3 (or 5) on a NATS cluster. */
  STREAM_REPLICAS: z.coerce.number().int().refine((n) => [1, 3, 5].includes(n), "must be 1, 3 or 5")
    .default(1),
  /**
   * Partitions of the message log, each persisted in order by one consumer instance at a time.
   * Fixed for a stream's life (recorded in it): more partitions than instances lets them spread.
   */
  PERSIST_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16),
  /** A dead consumer instance's partitions move to the others within this plus a third of it. */
  PARTITION_LEASE_MS: z.coerce.number().int().min(300).max(60_000).default(3_000),
};

export interface BrokerConfig {
  servers: string[];
  user?: string;
  password?: string;
  namespace?: string;
  stream: {
    maxAgeSeconds: number;
    duplicateWindowSeconds: number;
    maxMessageBytes: number;
    maxBytes: number;
    replicas: number;
  };
  partitions: number;
  leaseTtlMs: number;
}

export function brokerConfigFrom(e: {
  NATS_URL: string;
  NATS_USER?: string;
  NATS_PASSWORD?: string;
  NATS_NAMESPACE?: string;
  STREAM_MAX_AGE_SECONDS: number;
  STREAM_DUPLICATE_WINDOW_SECONDS: number;
  STREAM_MAX_BYTES: number;
  MAX_BODY_BYTES: number;
  STREAM_REPLICAS: number;
  PERSIST_PARTITIONS: number;
  PARTITION_LEASE_MS: number;
}): BrokerConfig {
  return {
    servers: e.NATS_URL.split(",").map((s) => s.trim()).filter(Boolean),
    user: e.NATS_USER,
    password: e.NATS_PASSWORD,
    namespace: e.NATS_NAMESPACE,
    stream: {
      maxAgeSeconds: e.STREAM_MAX_AGE_SECONDS,
      duplicateWindowSeconds: e.STREAM_DUPLICATE_WINDOW_SECONDS,
      // A body of MAX_BODY_BYTES characters can take up to 6 bytes each once JSON-escaped.
      maxMessageBytes: e.MAX_BODY_BYTES * 6 + 4096,
      maxBytes: e.STREAM_MAX_BYTES,
      replicas: e.STREAM_REPLICAS,
    },
    partitions: e.PERSIST_PARTITIONS,
    leaseTtlMs: e.PARTITION_LEASE_MS,
  };
}
