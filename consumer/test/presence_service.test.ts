import assert from "node:assert/strict";
import { InProcessBroker } from "../../shared/broker/memory.ts";
import {
  type PresenceChange,
  PresenceService,
} from "../internal/domain/services/presence_service.ts";

/** Two instances sharing the in-process broker's signals, each recording what it reports. */
function pair(ttlMs: number) {
  const broker = new InProcessBroker();
  const make = () => {
    const changes: PresenceChange[] = [];
    const service = new PresenceService(broker.signals, { ttlMs }, (c) => changes.push(c));
    return { service, changes };
  };
  return { broker, a: make(), b: make() };
}

Deno.test("presence: a late instance learns who is online; a bye clears at once", async () => {
  const { broker, a, b } = pair(60_000);
  a.service.start();
  a.service.join("room", "alice", "conn-1");
  a.service.join("room", "alice", "conn-2"); // a second socket is no news
  assert.deepEqual([...a.changes], [{ channel: "room", joined: ["alice"], left: [] }]);

  b.service.start(); // its hello is answered with a snapshot
  assert.deepEqual(b.service.online("room"), ["alice"]);
  assert.deepEqual([...b.changes], [{ channel: "room", joined: ["alice"], left: [] }]);

  b.service.join("room", "bob", "conn-3");
  assert.deepEqual(a.service.online("room"), ["alice", "bob"]);
  // Alice also online through b: leaving a does not make her leave.
  b.service.join("room", "alice", "conn-4");
  a.service.leave("room", "alice", "conn-1");
  a.service.leave("room", "alice", "conn-2");
  assert.deepEqual(b.service.online("room"), ["alice", "bob"]);
  assert.equal(b.changes.filter((c) => c.left.includes("alice")).length, 0);

  b.service.stop();
  assert.deepEqual(a.service.online("room"), []);
  assert.deepEqual(a.changes.at(-1), { channel: "room", joined: [], left: ["alice", "bob"] });
  a.service.stop();
  await broker.close();
});

Deno.test("presence: a silent instance's users leave after the TTL", async () => {
  const { broker, a, b } = pair(300);
  a.service.start();
  b.service.start();
  b.service.join("room", "bob", "conn-1");
  assert.deepEqual(a.service.online("room"), ["bob"]);
  // b dies: it stops heartbeating without a bye.
  b.service["unsubscribe"]?.();
  clearInterval(b.service["timer"]);
  const started = Date.now();
  while (a.service.online("room").length) {
    assert.ok(Date.now() - started < 1_000, "left within TTL plus one sweep");
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(a.changes.at(-1), { channel: "room", joined: [], left: ["bob"] });
  a.service.stop();
  await broker.close();
});

Deno.test("presence: a large snapshot goes in parts and is applied whole", async () => {
  const { broker, a, b } = pair(60_000);
  const parts: number[] = [];
  broker.signals.subscribe("presence", (d) => {
    const s = d as { kind: string; parts?: number };
    if (s.kind === "snapshot") parts.push(s.parts!);
  });
  a.service.start();
  for (let c = 0; c < 300; c++) {
    for (let u = 0; u < 50; u++) a.service.join(`ch-${c}`, crypto.randomUUID(), `conn-${c}-${u}`);
  }
  b.service.start(); // hello → a's snapshot, ~600 KB
  assert.ok(parts.length > 1 && parts.every((p) => p === parts.length), `parts: ${parts}`);
  for (const c of [0, 150, 299]) assert.equal(b.service.online(`ch-${c}`).length, 50);
  a.service.stop();
  b.service.stop();
  await broker.close();
});
