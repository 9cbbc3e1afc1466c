import { DeliverPolicy, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";
import { AcceptedMessage } from "../domain/message.ts";
import type { Logger } from "../logging/logger.ts";
import type { LogBatch, LogEntry, ReadOptions } from "../ports/broker.ts";
import { tracingOn } from "../tracing/tracing.ts";
import { safeJson } from "./wire.ts";

const PULL_EXPIRES_MS = 5_000;

/**
 * Reads one partition's subject from stream seq `after + 1` on with an ordered consumer (no acks,
 * in stream order; the library recreates it after a gap or a lost server), handing `handle` one
 * batch at a time while the next arrives. Unreadable entries are logged and skipped: the producer
 * writes only valid messages, so such an entry is not ours to store.
 */
export async function readPartition(
  js: JetStreamClient,
  stream: string,
  subject: string,
  after: number,
  handle: (batch: LogBatch) => Promise<void>,
  { maxBatch, signal, logger }: ReadOptions & { logger: Logger },
): Promise<void> {
  const consumer = await js.consumers.get(stream, {
    filter_subjects: subject,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: after + 1,
  });
  // Pulls expire every 5 s, so heartbeats come every 2.5 s: a reader whose consumer died with its
  // server (a cluster losing a node) notices within seconds and the library recreates it.
  const messages = await consumer.consume({ max_messages: maxBatch * 2, expires: PULL_EXPIRES_MS });
  const stop = () => messages.stop();
  signal.addEventListener("abort", stop, { once: true });
  const buffer: JsMsg[] = [];
  let wake: (() => void) | undefined;
  let ended: unknown;
  void (async () => {
    try {
      for await (const m of messages) {
        buffer.push(m);
        wake?.();
      }
      ended = new Error(`reading ${subject} ended`);
    } catch (err) {
      ended = err;
    }
    wake?.();
  })();
  try {
    // Whatever arrived while the previous batch was being stored forms the next batch.
    while (!signal.aborted) {
      if (buffer.length === 0) {
        if (ended) throw ended;
        await new Promise<void>((resolve) => wake = resolve);
        wake = undefined;
        continue;
      }
      const taken = buffer.splice(0, maxBatch);
      const entries = taken.flatMap((m) => toEntry(m, logger));
      await handle({ entries, lastSeq: taken[taken.length - 1].seq });
    }
  } finally {
    signal.removeEventListener("abort", stop);
    messages.stop();
  }
}

function toEntry(m: JsMsg, logger: Logger): LogEntry[] {
  const parsed = AcceptedMessage.safeParse(safeJson(m.data));
  if (!parsed.success) {
    logger.error("skipping malformed stream message", { subject: m.subject, streamSeq: m.seq });
    return [];
  }
  const trace = tracingOn ? m.headers?.get("traceparent") : undefined;
  return [
    trace ? { streamSeq: m.seq, message: parsed.data, trace } : {
      streamSeq: m.seq,
      message: parsed.data,
    },
  ];
}
