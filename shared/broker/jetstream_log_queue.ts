import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
import type { z } from "zod";
import { AcceptedMessage } from "../domain/message.ts";
import type { LogQueue } from "../ports/log_queues.ts";

const decoder = new TextDecoder();
const NEXT_EXPIRES_MS = 5_000;

/**
 * A LogQueue as a durable JetStream consumer of one partition's subject. max_ack_pending 1 makes
 * it hand out one entry at a time over every instance pulling from it, and a nak with a delay
 * keeps that entry pending, so a retry holds back what follows: order kept per partition.
 */
export async function openLogQueue<T = AcceptedMessage>(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  subject: string,
  durable: string,
  ackWaitMs: number,
  /** What an entry must be (the log's messages unless told). */
  schema: z.ZodType<T> = AcceptedMessage as unknown as z.ZodType<T>,
): Promise<LogQueue<T>> {
  const limits = { ack_wait: ackWaitMs * 1_000_000, max_ack_pending: 1 };
  try {
    await jsm.consumers.add(stream, {
      durable_name: durable,
      filter_subject: subject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      ...limits,
    });
  } catch {
    // It exists (another instance, an earlier start): keep its position, take today's limits.
    await jsm.consumers.update(stream, durable, limits);
  }
  const consumer = await js.consumers.get(stream, durable);
  return {
    next: async () => {
      const m = await consumer.next({ expires: NEXT_EXPIRES_MS });
      if (!m) return undefined;
      let data: unknown;
      try {
        data = JSON.parse(decoder.decode(m.data));
      } catch { /* refused below */ }
      const parsed = schema.safeParse(data);
      // Not an entry this system wrote: nothing to deliver, ever.
      if (!parsed.success) {
        m.term();
        return undefined;
      }
      return {
        message: parsed.data,
        attempt: m.info.deliveryCount,
        ack: () => m.ack(),
        retryIn: (ms) => m.nak(ms),
      };
    },
  };
}
