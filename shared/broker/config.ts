import { z } from "zod";
import { env } from "../config/env.ts";

/** Broker settings every service reads the same way (distributed mode). */
export const brokerEnv = {
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
  /** A message fetched by a consumer instance that dies is redelivered after this long. */
  PERSIST_ACK_WAIT_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
};

export interface BrokerConfig {
  url: string;
  user?: string;
  password?: string;
  namespace?: string;
  stream: {
    maxAgeSeconds: number;
    duplicateWindowSeconds: number;
    maxMessageBytes: number;
    maxBytes: number;
  };
  persistAckWaitSeconds: number;
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
  PERSIST_ACK_WAIT_SECONDS: number;
}): BrokerConfig {
  return {
    url: e.NATS_URL,
    user: e.NATS_USER,
    password: e.NATS_PASSWORD,
    namespace: e.NATS_NAMESPACE,
    stream: {
      maxAgeSeconds: e.STREAM_MAX_AGE_SECONDS,
      duplicateWindowSeconds: e.STREAM_DUPLICATE_WINDOW_SECONDS,
      // A body of MAX_BODY_BYTES characters can take up to 6 bytes each once JSON-escaped.
      maxMessageBytes: e.MAX_BODY_BYTES * 6 + 4096,
      maxBytes: e.STREAM_MAX_BYTES,
    },
    persistAckWaitSeconds: e.PERSIST_ACK_WAIT_SECONDS,
  };
}
