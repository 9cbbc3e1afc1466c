import type { AcceptedMessage } from "../domain/message.ts";

/** One entry handed out by a LogQueue; settle it with `ack` or `retryIn`. */
export interface QueuedEntry<T = AcceptedMessage> {
  /** The log's entry: a message of the message log, or an event of the event stream. */
  message: T;
  /** 1 the first time the entry is handed out, then one more per retry. */
  attempt: number;
  ack(): void;
  /** Hands the same entry out again after `ms`; nothing after it comes out meanwhile. */
  retryIn(ms: number): void;
}

/**
 * A durable reading of one log partition, kept by the broker under a name, so it survives
 * restarts and is shared by every instance that opens it: one entry out at a time, in log order
 * (so in order per channel), each until acknowledged. It starts at the log's end when first made.
 */
export interface LogQueue<T = AcceptedMessage> {
  /** The next entry, or undefined when none came within a few seconds. */
  next(): Promise<QueuedEntry<T> | undefined>;
}

export interface LogQueues<T = AcceptedMessage> {
  open(name: string, partition: number, opts: { ackWaitMs: number }): Promise<LogQueue<T>>;
}
