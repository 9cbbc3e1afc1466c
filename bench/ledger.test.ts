import assert from "node:assert/strict";
import { LatencyHistogram } from "./histogram.ts";
import { type ChannelFacts, Ledger } from "./ledger.ts";

const facts = (n: number): ChannelFacts => ({ rows: n, minSeq: 1, maxSeq: n, lastSeq: n });

Deno.test("bench ledger: a clean run has no violation", () => {
  const ledger = new Ledger();
  const a = ledger.subscriber("c", 0, true);
  const b = ledger.subscriber("c", 0);
  for (let seq = 1; seq <= 3; seq++) {
    ledger.ack("c", `m${seq}`);
    a.onMessage(seq, `m${seq}`);
    b.onMessage(seq, `m${seq}`);
  }
  assert.deepEqual(ledger.verify(new Map([["c", facts(3)]])), { count: 0, examples: [] });
});

Deno.test("bench ledger: gaps, duplicates, losses and bad stored seqs are violations", () => {
  const ledger = new Ledger();
  const witness = ledger.subscriber("c", 0, true);
  const other = ledger.subscriber("c", 0);
  for (const id of ["m1", "m2", "m3"]) ledger.ack("c", id);
  witness.onMessage(1, "m1");
  witness.onMessage(3, "m3"); // gap: 2 missing, and m2 never delivered
  other.onMessage(1, "m1");
  other.onMessage(1, "m1"); // duplicate
  const { count, examples } = ledger.verify(
    new Map([["c", { rows: 3, minSeq: 1, maxSeq: 4, lastSeq: 4 }]]),
  );
  const text = examples.join("\n");
  assert.ok(count >= 5, text);
  assert.match(text, /got seq 3 after 1 \(gap\)/);
  assert.match(text, /got seq 1 after 1 \(duplicate or reorder\)/);
  assert.match(text, /acked m2 never delivered/);
  assert.match(text, /stored seqs not gap-free/);
  assert.match(text, /subscriber ended at seq 1, channel at 4/);
});

Deno.test("bench ledger: edits, deletes and reactions are seqs of the same sequence", () => {
  const ledger = new Ledger();
  const witness = ledger.subscriber("c", 0, true);
  const late = ledger.subscriber("c", 0);
  // m1, an edit of it, a reaction, m2: every one acked, stored and delivered under its own seq.
  ["m1", "edit-1", "react-1", "m2"].forEach((id, i) => {
    ledger.ack("c", id);
    witness.onMessage(i + 1, id);
  });
  late.onMessage(1, "m1");
  late.onMessage(4, "m2"); // skipping the events is a gap like any other
  const { examples } = ledger.verify(new Map([["c", facts(4)]]));
  assert.deepEqual(examples, ["c: got seq 4 after 1 (gap)"]);
});

Deno.test("bench ledger: an acked message missing from PostgreSQL is a violation", () => {
  const ledger = new Ledger();
  ledger.ack("c", "m1");
  ledger.ack("d", "m1");
  const { examples } = ledger.verify(new Map([["c", facts(0)]]));
  assert.match(examples.join("\n"), /1 acked but 0 stored/);
  assert.match(examples.join("\n"), /d: 1 acked messages, none stored/);
});

Deno.test("bench histogram: percentiles in ms from microsecond recordings", () => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 1000; i++) h.recordMs(i / 10); // 0.1 … 100 ms
  const s = h.summary();
  assert.equal(s.count, 1000);
  assert.ok(Math.abs(s.p50 - 50) < 0.1, `p50 ${s.p50}`);
  assert.ok(Math.abs(s.p99 - 99) < 0.1, `p99 ${s.p99}`);
  assert.ok(Math.abs(s.max - 100) < 0.1, `max ${s.max}`);
});
