import assert from "node:assert/strict";
import type { AcceptedMessage } from "../domain/message.ts";
import type { QueuedMessage } from "../ports/broker.ts";
import { InProcessBroker } from "./memory.ts";

function message(i: number): AcceptedMessage {
  return {
    id: crypto.randomUUID(),
    channel: "general",
    clientMsgId: `m-${i}`,
    sender: "00000000-0000-4000-8000-000000000001",
    body: `body ${i}`,
    sentAt: new Date().toISOString(),
  };
}

/** Takes one batch from the persist queue (empty if none comes within 2 s), then stops. */
async function takeBatch(broker: InProcessBroker, max = 100): Promise<QueuedMessage[]> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 2_000);
  let batch: QueuedMessage[] = [];
  await broker.persistQueue.run((b) => {
    batch = b;
    stop.abort();
    return Promise.resolve();
  }, { maxBatch: max, signal: stop.signal });
  clearTimeout(timer);
  return batch;
}

const key = (m: AcceptedMessage) => `${m.sender}:${m.clientMsgId}`;

Deno.test("in-process broker: a retried append is a duplicate with the first sequence", async () => {
  const broker = new InProcessBroker();
  const m = message(1);
  const first = await broker.log.append(m, key(m), 1000);
  const again = await broker.log.append({ ...m, id: crypto.randomUUID() }, key(m), 1000);
  assert.deepEqual(first, { streamSeq: 1, duplicate: false });
  assert.deepEqual(again, { streamSeq: 1, duplicate: true });
  const batch = await takeBatch(broker);
  assert.equal(batch.length, 1, "one message in the queue, not two");
  await broker.close();
});

Deno.test("in-process broker: a nak'd message comes back with a higher delivery count", async () => {
  const broker = new InProcessBroker();
  for (const i of [1, 2]) await broker.log.append(message(i), key(message(i)), 1000);
  const [a, b] = await takeBatch(broker);
  a.nak(10);
  b.ack();
  const [again] = await takeBatch(broker);
  assert.equal(again.message.clientMsgId, "m-1");
  assert.equal(again.deliveryCount, 2);
  again.ack();
  await broker.close();
});

Deno.test("in-process broker: acked appends survive a crash through the journal", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/journal.jsonl`;
  try {
    const before = await InProcessBroker.durable(path, 120_000);
    const sent = [1, 2, 3].map(message);
    for (const m of sent) await before.log.append(m, key(m), 1000);
    // The process dies here: nothing was persisted downstream. Simulate a torn final write too.
    await Deno.writeTextFile(path, '{"seq":4,"at":1,"dedupeKey":"x","mess', { append: true });
    await before.close();

    const after = await InProcessBroker.durable(path, 120_000);
    const replayed = await takeBatch(after);
    assert.deepEqual(replayed.map((q) => q.message), sent, "all three, in order, once");
    const retry = await after.log.append(sent[0], key(sent[0]), 1000);
    assert.deepEqual(retry, { streamSeq: 1, duplicate: true }, "dedupe window survives too");
    const next = await after.log.append(message(9), key(message(9)), 1000);
    assert.equal(next.streamSeq, 4, "sequence continues after the replayed ones");

    // Once everything is persisted and acked, the journal is emptied.
    for (const q of replayed) q.ack();
    const [last] = await takeBatch(after);
    last.ack();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await Deno.stat(path)).size, 0);
    await after.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
