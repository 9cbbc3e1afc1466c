import { type KV, Kvm } from "@nats-io/kv";
import {
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { sleep } from "../async/sleep.ts";
import type { BrokerConfig } from "./config.ts";
import type { BrokerNames } from "./subjects.ts";

const NANOS = 1_000_000_000;
/** Dead letters are rare and kept for an operator: a month, within a small byte budget. */
const DEAD_LETTER_MAX_AGE_SECONDS = 30 * 24 * 3600;
const DEAD_LETTER_MAX_BYTES = 64 * 1024 * 1024;

/** Every stream the system uses, as data: created or updated to exactly this at each start. */
export function streamDefinitions(names: BrokerNames, config: BrokerConfig): StreamConfig[] {
  const s = config.stream;
  const common = {
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: s.replicas,
  };
  return [{
    ...common,
    name: names.stream,
    // Read back by partition readers (offsets in PostgreSQL), never consumed away: retention
    // by age and size only.
    description: partitionsDescription(config.partitions),
    subjects: [names.messageWildcard],
    max_age: s.maxAgeSeconds * NANOS,
    duplicate_window: s.duplicateWindowSeconds * NANOS,
    max_msg_size: s.maxMessageBytes,
    max_bytes: s.maxBytes,
  }, {
    ...common,
    name: names.deadLetterStream,
    subjects: [names.deadLetterWildcard],
    max_age: DEAD_LETTER_MAX_AGE_SECONDS * NANOS,
    max_msg_size: s.maxMessageBytes * 2,
    max_bytes: Math.min(s.maxBytes, DEAD_LETTER_MAX_BYTES),
  }] as StreamConfig[];
}

/** Presence events wait here for the webhook endpoints: a day, within a small byte budget. */
const EVENT_MAX_AGE_SECONDS = 24 * 3600;
const EVENT_MAX_BYTES = 16 * 1024 * 1024;

/** The webhook events' stream, created or updated by the consumer that first needs it. */
export function ensureEventStream(
  jsm: JetStreamManager,
  names: BrokerNames,
  config: BrokerConfig,
): Promise<void> {
  return upsertStream(jsm, {
    name: names.eventStream,
    subjects: [names.eventWildcard],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: config.stream.replicas,
    max_age: EVENT_MAX_AGE_SECONDS * NANOS,
    duplicate_window: config.stream.duplicateWindowSeconds * NANOS,
    max_bytes: Math.min(config.stream.maxBytes, EVENT_MAX_BYTES),
  } as StreamConfig);
}

function partitionsDescription(partitions: number): string {
  return `partitions=${partitions}`;
}

/**
 * Creates or updates the streams; returns the log's id (stream name and creation time: a
 * recreated stream restarts its seqs, so offsets of the old one must not apply). The partition
 * count is recorded in the stream: a service configured with another count would write or read
 * the wrong subjects, so it refuses to start.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  names: BrokerNames,
  config: BrokerConfig,
): Promise<string> {
  const [messages] = streamDefinitions(names, config);
  const recorded = (await streamInfo(jsm, names.stream))?.config.description;
  if (recorded?.startsWith("partitions=") && recorded !== messages.description) {
    throw new Error(
      `stream ${names.stream} was created with ${recorded}; set PERSIST_PARTITIONS to match`,
    );
  }
  for (const stream of streamDefinitions(names, config)) await upsertStream(jsm, stream);
  const info = await jsm.streams.info(names.stream);
  return `${names.stream}@${info.created}`;
}

/**
 * What only the persisting side uses, made when it starts persisting (producers never touch it):
 * the lease bucket, created or opened. Before partitions every consumer instance shared one
 * durable work queue on the stream; it is removed (drain it before upgrading: its subjects had no
 * partition token).
 */
export async function ensureLeaseBucket(
  nc: NatsConnection,
  jsm: JetStreamManager,
  names: BrokerNames,
  config: BrokerConfig,
): Promise<KV> {
  await jsm.consumers.delete(names.stream, "persist").catch(() => {});
  return await new Kvm(nc).create(names.leaseBucket, {
    ttl: config.leaseTtlMs,
    history: 1,
    replicas: config.stream.replicas,
  });
}

/** Several services start at once: on a cluster their creates race and one may time out. */
const UPSERT_ATTEMPTS = 5;

async function upsertStream(jsm: JetStreamManager, stream: StreamConfig): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      if (await streamInfo(jsm, stream.name)) await jsm.streams.update(stream.name, stream);
      else await jsm.streams.add(stream);
      return;
    } catch (err) {
      if (attempt === UPSERT_ATTEMPTS) throw err;
      await sleep(250 * attempt);
    }
  }
}

async function streamInfo(jsm: JetStreamManager, name: string) {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (err instanceof Error && /stream not found/i.test(err.message)) return undefined;
    throw err;
  }
}
