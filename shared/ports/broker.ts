import type { ChannelEvent } from "../domain/channel_event.ts";
import type { AcceptedMessage, StoredMessage } from "../domain/message.ts";

/**
 * The message broker as the services see it. Two adapters implement it: NATS JetStream (distributed
 * mode) and an in-process broker (single-node default). Both keep the same contract:
 * - `append` resolves only once the message is stored, and a repeated dedupe key within the
 *   duplicate window returns the first append's sequence with `duplicate: true`;
 * - the log is read back per partition, in the order it stored the messages, from any offset the
 *   reader names (so the offset can live with the data, in PostgreSQL);
 * - each partition is owned by one consumer instance at a time (leases);
 * - the delivery bus carries each stored message to the instances that follow its channel,
 *   at-most-once (subscribers fill gaps from PostgreSQL by seq).
 */
export interface AppendResult {
  streamSeq: number;
  duplicate: boolean;
}

export interface MessageLog {
  /** Rejects with AppError("UNAVAILABLE") when the log cannot confirm storage within `timeoutMs`. */
  append(message: AcceptedMessage, dedupeKey: string, timeoutMs: number): Promise<AppendResult>;
}

/** A message of the log with the position JetStream (or the in-process log) stored it at. */
export interface LogEntry {
  streamSeq: number;
  message: AcceptedMessage;
  /** The publish's W3C traceparent, when tracing is on (shared/tracing/tracing.ts). */
  trace?: string;
}

/**
 * What a partition's reader gets at a time: the entries in log order, and the stream seq read up
 * to (past `entries`' last when something unreadable was skipped), to record as the new offset.
 */
export interface LogBatch {
  entries: LogEntry[];
  lastSeq: number;
}

export interface ReadOptions {
  maxBatch: number;
  signal: AbortSignal;
}

/** The message log read back one partition at a time. */
export interface PartitionedLog {
  /** How many partitions the channels are spread over (stable hash of the channel id). */
  readonly partitions: number;
  /** Names this log for offsets: a recreated stream restarts its seqs, so it gets a new id. */
  readonly id: string;
  /**
   * Feeds `handle` the partition's entries after stream seq `after`, in log order, one batch at a
   * time (the next is read meanwhile: a slow store back-pressures; what arrived while `handle` ran
   * forms the next batch). Resolves when `signal` aborts; rejects when `handle`
   * rejects or the log cannot be read (the reader starts again from its stored offset). Entries
   * of a batch whose `handle` did not resolve are read again.
   */
  read(
    partition: number,
    after: number,
    handle: (batch: LogBatch) => Promise<void>,
    opts: ReadOptions,
  ): Promise<void>;
}

/**
 * Which consumer instance persists which partition. `run` holds this instance's share of the
 * partitions until `signal` aborts, calling `work(partition, lost)` for each one it acquires:
 * `lost` aborts when the lease is lost or handed to another instance, and the lease is released
 * once `work` settles. Leases expire, so for a moment after an unnoticed loss two instances may
 * both read a partition: the store's offset fence refuses the stale one.
 */
export interface PartitionOwnership {
  run(
    work: (partition: number, lost: AbortSignal) => Promise<void>,
    signal: AbortSignal,
  ): Promise<void>;
}

/** Interest in one channel's deliveries, held while this instance has a subscriber there. */
export interface ChannelFollow {
  /** Settles once deliveries published from now on are certain to arrive. */
  ready: Promise<void>;
  unfollow(): void;
}

export interface DeliveryBus {
  /** Deliveries received from other instances so far (this instance's own are handed over). */
  readonly received: number;
  publish(message: StoredMessage): void;
  /**
   * Receives the stored messages of `channel` (from every instance) until `unfollow`. One follow
   * per channel and instance: the caller fans out to its own subscribers.
   */
  follow(channel: string, onMessage: (message: StoredMessage) => void): ChannelFollow;
}

/** A side channel between instances (presence heartbeats): at-most-once, fan-out. */
export interface Signals {
  publish(topic: string, data: unknown): void;
  subscribe(topic: string, onData: (data: unknown) => void): () => void;
}

/** A message the consumer gave up on, with why, kept for an operator to inspect or replay. */
export interface DeadLetter {
  message: AcceptedMessage;
  reason: string;
  attempts: number;
  at: string;
}

/** A channel event a webhook endpoint never took, with why. */
export interface EventDeadLetter {
  event: ChannelEvent;
  reason: string;
  attempts: number;
  at: string;
}

/** Durable dead letters: `put` resolves only once the letter is stored. */
export interface DeadLetterQueue {
  put(letter: DeadLetter | EventDeadLetter): Promise<void>;
  /** How many letters are stored (all instances together). */
  count(): Promise<number>;
}

export interface BrokerHealth {
  /** True while the broker connection is usable. */
  healthy(): boolean;
}

export interface Broker extends BrokerHealth {
  log: MessageLog & PartitionedLog;
  ownership: PartitionOwnership;
  delivery: DeliveryBus;
  signals: Signals;
  deadLetters: DeadLetterQueue;
  close(): Promise<void>;
}
