import assert from "node:assert/strict";
import { assignedPartitions, partitionOf } from "./partitions.ts";

Deno.test("partitionOf: 32-bit FNV-1a of the channel id, spread over every partition", () => {
  // Published FNV-1a test vectors: a change of hash would move channels of a running log.
  assert.equal(partitionOf("a", 2 ** 32), 0xe40c292c);
  assert.equal(partitionOf("foobar", 2 ** 32), 0xbf9cf968);
  assert.equal(partitionOf("foobar", 16), 0xbf9cf968 % 16);
  const hits = new Set(Array.from({ length: 1000 }, (_, i) => partitionOf(`c${i}`, 16)));
  assert.equal(hits.size, 16);
});

Deno.test("assignedPartitions: every partition to exactly one member, shares within one", () => {
  const members = ["c", "a", "b"];
  const shares = members.map((m) => assignedPartitions(m, members, 16));
  assert.deepEqual(shares.flat().sort((x, y) => x - y), Array.from({ length: 16 }, (_, i) => i));
  assert.deepEqual(shares.map((s) => s.length), [5, 6, 5]); // c, a, b: a sorts first
  // A member that does not see itself yet (its heartbeat not listed) still counts itself.
  assert.deepEqual(assignedPartitions("z", ["a"], 4), [1, 3]);
  assert.deepEqual(assignedPartitions("a", [], 3), [0, 1, 2]);
});
