import assert from "node:assert/strict";
import type { AcceptedMessage } from "../domain/message.ts";
import type { LogEntry } from "../ports/broker.ts";
import { InProcessBroker } from "./memory.ts";
import { partitionOf } from "./partitions.ts";

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

/**
 * Reads one batch of `general`'s partition after `after` (empty if none comes within 2 s). The
 * batch counts as handled only when `handled` is true: otherwise the reader stops before it.
 */
async function readBatch(
  broker: InProcessBroker,
  { after = 0, handled = true } = {},
): Promise<LogEntry[]> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 2_000);
  let entries: LogEntry[] = [];
  await broker.log.read(partitionOf("general", broker.log.partitions), after, (batch) => {
    entries = batch.entries;
    stop.abort();
    return handled ? Promise.resolve() : Promise.reject(new Error("not stored"));
  }, { maxBatch: 100, signal: stop.signal }).catch(() => {});
  clearTimeout(timer);
  return entries;
}

const key = (m: AcceptedMessage) => `${m.sender}:${m.channel}:${m.clientMsgId}`;

Deno.test("in-process broker: a retried append is a duplicate with the first sequence", async () => {
  const broker = new InProcessBroker();
  const m = message(1);
  const first = await broker.log.append(m, key(m), 1000);
  const again = await broker.log.append({ ...m, id: crypto.randomUUID() }, key(m), 1000);
  assert.deepEqual(first, { streamSeq: 1, duplicate: false });
  assert.deepEqual(again, { streamSeq: 1, duplicate: true });
  const batch = await readBatch(broker);
  assert.equal(batch.length, 1, "one message in the log, not two");
  await broker.close();
});

Deno.test("in-process broker: a batch not handled is read again, in order", async () => {
  const broker = new InProcessBroker();
  for (const i of [1, 2]) await broker.log.append(message(i), key(message(i)), 1000);
  const first = await readBatch(broker, { handled: false });
  assert.deepEqual(first.map((e) => e.streamSeq), [1, 2]);
  const again = await readBatch(broker);
  assert.deepEqual(again.map((e) => e.message.clientMsgId), ["m-1", "m-2"]);
  await broker.log.append(message(3), key(message(3)), 1000);
  const next = await readBatch(broker, { after: 2 });
  assert.deepEqual(next.map((e) => e.streamSeq), [3], "handled entries are not read again");
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
    const replayed = await readBatch(after, { handled: false });
    assert.deepEqual(replayed.map((e) => e.message), sent, "all three, in order, once");
    const retry = await after.log.append(sent[0], key(sent[0]), 1000);
    assert.deepEqual(retry, { streamSeq: 1, duplicate: true }, "dedupe window survives too");
    const next = await after.log.append(message(9), key(message(9)), 1000);
    assert.equal(next.streamSeq, 4, "sequence continues after the replayed ones");

    // Once everything is handled (in PostgreSQL), the journal is emptied.
    assert.equal((await readBatch(after)).length, 4);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await Deno.stat(path)).size, 0);
    await after.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
