/**
 * `deno bench bench/hot_path_bench.ts`: the in-process hot path, publish → log → persist →
 * delivery, with no I/O (an in-memory store), so per-message CPU is all it measures. Run with
 * and without OTEL_DENO=true, and on the commit before tracing, to see what tracing costs
 * (bench/NOTES.md, "Tracing").
 */
import { InProcessBroker } from "../shared/broker/memory.ts";
import type { AcceptedMessage, StoredMessage } from "../shared/domain/message.ts";
import { createLogger } from "../shared/logging/logger.ts";
import type { MessageStore } from "../consumer/internal/domain/ports/message_store.ts";
import { PersistService } from "../consumer/internal/domain/services/persist_service.ts";
import { PublishService } from "../producer/internal/domain/services/publish_service.ts";

const MESSAGES = 1_000;
const USER = crypto.randomUUID();
const unlimited = { perSecond: 1e9, burst: 1e9 };

/** Numbers messages per channel, as PostgreSQL would, in memory. */
function memoryStore(): MessageStore {
  const seqs = new Map<string, number>();
  const unused = () => Promise.reject(new Error("not used"));
  return {
    storeBatch: (messages: AcceptedMessage[]) =>
      Promise.resolve(messages.map((m): StoredMessage => {
        const seq = (seqs.get(m.channel) ?? 0) + 1;
        seqs.set(m.channel, seq);
        return { ...m, seq };
      })),
    advanceOffset: () => Promise.resolve(),
    offset: () => Promise.resolve(0),
    range: unused,
    history: unused,
    lastSeq: unused,
    lastSeqs: unused,
    firstSeq: unused,
  };
}

const broker = new InProcessBroker(120_000, undefined, 4);
const publisher = new PublishService(broker.log, { authorize: () => Promise.resolve() }, {
  maxBodyBytes: 4096,
  publishTimeoutMs: 5_000,
  connectionRate: unlimited,
  userRate: unlimited,
}, { published: () => {}, logAppended: () => {} });
const persist = new PersistService(
  broker.log,
  broker.ownership,
  memoryStore(),
  broker.delivery,
  broker.deadLetters,
  { batchSize: 256, concurrency: 4 },
  {
    batchStored: () => {},
    deadLettered: () => {},
    storeFailed: () => {},
    partitionsOwned: () => {},
  },
  createLogger({ service: "bench" }),
);
const stop = new AbortController();
const persisting = persist.run(stop.signal);

const channels = ["a", "b", "c", "d"];
let delivered = 0;
let wakeAt = 0;
let wake = () => {};
for (const channel of channels) {
  broker.delivery.follow(channel, () => {
    if (++delivered >= wakeAt) wake();
  });
}

let n = 0;
Deno.bench(`publish → log → persist → delivery, ${MESSAGES} messages`, async () => {
  const all = new Promise<void>((resolve) => wake = resolve);
  wakeAt = delivered + MESSAGES;
  const lane = publisher.openLane();
  const acks = [];
  for (let i = 0; i < MESSAGES; i++) {
    const channel = channels[i % channels.length];
    acks.push(publisher.publish(USER, { channel, clientMsgId: `m${n++}`, body: "hello" }, lane));
  }
  await Promise.all(acks);
  await all;
});

globalThis.addEventListener("unload", () => {
  stop.abort();
  void persisting;
});
