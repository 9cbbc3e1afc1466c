import type { AcceptedMessage, StoredMessage } from "../domain/message.ts";

/**
 * The message broker as the services see it. Two adapters implement it: NATS JetStream (distributed
 * mode) and an in-process broker (single-node default). Both keep the same contract:
 * - `append` resolves only once the message is stored, and a repeated dedupe key within the
 *   duplicate window returns the first append's sequence with `duplicate: true`;
 * - the persist queue is at-least-once and shared by every consumer instance;
 * - the delivery bus fans each stored message out to every instance, at-most-once (subscribers
 *   fill gaps from PostgreSQL by seq).
 */
export interface AppendResult {
  streamSeq: number;
  duplicate: boolean;
}

export interface MessageLog {
  /** Rejects with AppError("UNAVAILABLE") when the log cannot confirm storage within `timeoutMs`. */
  append(message: AcceptedMessage, dedupeKey: string, timeoutMs: number): Promise<AppendResult>;
}

export interface QueuedMessage {
  readonly message: AcceptedMessage;
  /** 1 on first delivery, counts up on each redelivery. */
  readonly deliveryCount: number;
  ack(): void;
  /** Asks for redelivery after `delayMs`. */
  nak(delayMs: number): void;
  /** Gives up on the message for good (after dead-lettering it). */
  term(reason: string): void;
}

export interface PersistQueue {
  /**
   * Feeds batches to `handle` until `signal` aborts; one batch at a time, so a slow store applies
   * back-pressure. Messages that arrive while a batch is handled form the next batch.
   */
  run(
    handle: (batch: QueuedMessage[]) => Promise<void>,
    opts: { maxBatch: number; signal: AbortSignal },
  ): Promise<void>;
}

export interface DeliveryBus {
  publish(message: StoredMessage): void;
  /** Receives every stored message of every channel; returns the unsubscribe function. */
  subscribe(onMessage: (message: StoredMessage) => void): () => void;
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

/** Durable dead letters: `put` resolves only once the letter is stored. */
export interface DeadLetterQueue {
  put(letter: DeadLetter): Promise<void>;
  /** How many letters are stored (all instances together). */
  count(): Promise<number>;
}

export interface BrokerHealth {
  /** True while the broker connection is usable. */
  healthy(): boolean;
}

export interface Broker extends BrokerHealth {
  log: MessageLog;
  persistQueue: PersistQueue;
  delivery: DeliveryBus;
  signals: Signals;
  deadLetters: DeadLetterQueue;
  close(): Promise<void>;
}
