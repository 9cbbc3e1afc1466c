import { z } from "zod";
import type { AcceptedMessage } from "../domain/message.ts";

/** One entry handed out by a LogQueue; settle it with `ack` or `retryIn`. */
export interface QueuedEntry<T = AcceptedMessage> {
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

export interface LogQueues {
  open(name: string, partition: number, opts: { ackWaitMs: number }): Promise<LogQueue>;
}

/** An event for webhooks that is not a message of the log (presence), as stored and sent. */
export const LoggedEvent = z.object({
  /** Stable for one occurrence: the log stores it once, receivers dedupe by it. */
  id: z.string(),
  type: z.string(),
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type LoggedEvent = z.infer<typeof LoggedEvent>;

/**
 * Webhook events beside the message log: appended once per id (the broker's dedupe window), read
 * through durable queues like the log's, one for all events, in the order they were stored.
 */
export interface EventLog {
  /** Resolves once stored; rejects when the broker cannot confirm it. */
  append(event: LoggedEvent): Promise<void>;
  open(name: string, opts: { ackWaitMs: number }): Promise<LogQueue<LoggedEvent>>;
}
