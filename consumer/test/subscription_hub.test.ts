import assert from "node:assert/strict";
import type { StoredMessage } from "../../shared/domain/message.ts";
import { type ServerFrame, SharedFrame } from "../../shared/protocol/frames.ts";
import { eventually } from "../../shared/testing/eventually.ts";
import type { MessageStore } from "../internal/domain/ports/message_store.ts";
import type { Subscriber } from "../internal/domain/ports/subscriber.ts";
import { InProcessBroker } from "../../shared/broker/memory.ts";
import type { DeliveryBus } from "../../shared/ports/broker.ts";
import { SubscriptionHub } from "../internal/domain/services/subscription_hub.ts";

/** The domain's view of storage, in memory: what PostgreSQL holds for one channel. */
class MemoryStore implements MessageStore {
  readonly rows: StoredMessage[] = [];
  add(n: number): StoredMessage[] {
    const base = this.rows.length;
    const added = Array.from({ length: n }, (_, i) => {
      const seq = base + i + 1;
      return {
        channel: "room",
        seq,
        id: crypto.randomUUID(),
        clientMsgId: `m-${seq}`,
        sender: crypto.randomUUID(),
        body: `body ${seq}`,
        sentAt: new Date().toISOString(),
      };
    });
    this.rows.push(...added);
    return added;
  }
  storeBatch(): never {
    throw new Error("not used");
  }
  advanceOffset(): never {
    throw new Error("not used");
  }
  offset(): never {
    throw new Error("not used");
  }
  history(): never {
    throw new Error("not used");
  }
  range(_: string, after: number, upTo: number, limit: number) {
    return Promise.resolve(this.rows.filter((m) => m.seq > after && m.seq <= upTo).slice(0, limit));
  }
  lastSeq() {
    return Promise.resolve(this.rows.length);
  }
  lastSeqs(channels: string[]) {
    return Promise.resolve(new Map(channels.map((c) => [c, this.rows.length])));
  }
  firstSeq() {
    return Promise.resolve(1);
  }
}

/** A subscriber whose reader can be made slow: `writable` waits while `stalled`. */
function subscriber() {
  const seqs: number[] = [];
  const others: ServerFrame[] = [];
  const state = { stalled: false };
  const sub: Subscriber = {
    id: crypto.randomUUID(),
    userId: crypto.randomUUID(),
    send: (sent: ServerFrame | SharedFrame) => {
      const f = sent instanceof SharedFrame ? sent.frame : sent;
      if (f.type === "message") seqs.push(f.seq);
      else others.push(f);
      return true;
    },
    writable: async () => {
      await eventually("the socket drains", () => !state.stalled, { everyMs: 5 });
      return true;
    },
  };
  return { sub, seqs, others, state };
}

/** The latest hub's delivery bus: `bus.publish(m)` is a live message from the persist side. */
let bus: DeliveryBus;

function hubWith(store: MemoryStore, presence: string[] = []) {
  bus = new InProcessBroker().delivery;
  return new SubscriptionHub(
    store,
    { authorize: () => Promise.resolve() },
    { fannedOut: () => {}, replayed: () => {} },
    {
      join: (channel, user) => presence.push(`join ${channel} ${user}`),
      leave: (channel, user) => presence.push(`leave ${channel} ${user}`),
    },
    10,
    bus,
  );
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

Deno.test("hub: a live gap is filled from the store before the next message", async () => {
  const store = new MemoryStore();
  const hub = hubWith(store);
  const { sub, seqs } = subscriber();
  await hub.subscribe(sub, 1, "room");
  const [m1, , m3] = store.add(3);
  bus.publish(m1);
  bus.publish(m3); // 2 was lost on the bus
  bus.publish(m1); // and a redelivered duplicate
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(seqs, [1, 2, 3]);
});

Deno.test("hub: a gap fill the store fails ends that subscription, naming its channel", async () => {
  const store = new MemoryStore();
  const hub = hubWith(store);
  const { sub, seqs, others } = subscriber();
  await hub.subscribe(sub, 1, "room");
  const [m1, , m3] = store.add(3);
  bus.publish(m1);
  store.range = () => Promise.reject(new Error("connection closed")); // PostgreSQL went away
  bus.publish(m3); // 2 was lost on the bus and must be read from the store
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(seqs, [1]);
  const ended = others.at(-1);
  assert.equal(ended?.type, "error");
  // Not a reply to a request: the channel tells the client which subscription to renew.
  assert.deepEqual({ code: ended.code, channel: ended.channel }, {
    code: "UNAVAILABLE",
    channel: "room",
  });
  assert.equal(hub.subscriptionCount, 0);
});

Deno.test("hub: resync delivers a lost tail that no later message would reveal", async () => {
  const store = new MemoryStore();
  const hub = hubWith(store);
  const { sub, seqs } = subscriber();
  await hub.subscribe(sub, 1, "room");
  const [m1] = store.add(3);
  bus.publish(m1); // 2 and 3 never arrive live
  await hub.resync();
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(seqs, [1, 2, 3]);
});

Deno.test("hub: live messages during a slow replay are bounded, then read from the store", async () => {
  const store = new MemoryStore();
  store.add(100);
  const hub = hubWith(store);
  const { sub, seqs, state } = subscriber();
  state.stalled = true;
  const subscribing = hub.subscribe(sub, 1, "room", 0);
  await new Promise((r) => setTimeout(r, 10));
  // 5,000 arrive live while the reader holds up the replay: far past what the hub keeps.
  for (const m of store.add(5_000)) bus.publish(m);
  const held = hub["byChannel"].get("room")!.get(sub.id)!.pending.length;
  assert.ok(held <= 1_000, `${held} live messages held`);
  state.stalled = false;
  await subscribing;
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(seqs, range(1, 5_100));
});

Deno.test("hub: presence follows subscriptions; a resubscribe is no leave", async () => {
  const store = new MemoryStore();
  store.add(5);
  const presence: string[] = [];
  const hub = hubWith(store, presence);
  const { sub } = subscriber();
  await hub.subscribe(sub, 1, "room");
  await hub.subscribe(sub, 2, "room", 3);
  await assert.rejects(hub.subscribe(sub, 3, "room", 99), /ahead of the channel/);
  assert.deepEqual(presence, [`join room ${sub.userId}`, `leave room ${sub.userId}`]);
  await hub.subscribe(sub, 4, "room");
  hub.disconnect(sub);
  assert.deepEqual(presence.slice(2), [`join room ${sub.userId}`, `leave room ${sub.userId}`]);
});

Deno.test("hub: a subscribe authorized before a revocation does not outlive it", async () => {
  let grant!: () => void;
  const hub = new SubscriptionHub(
    new MemoryStore(),
    { authorize: () => new Promise<void>((resolve) => grant = resolve) },
    { fannedOut: () => {}, replayed: () => {} },
    { join: () => {}, leave: () => {} },
    10,
    new InProcessBroker().delivery,
  );
  const { sub } = subscriber();
  const subscribing = hub.subscribe(sub, 1, "team");
  // The access check has answered "member" but its answer is still on its way when the
  // revocation arrives.
  hub.revoke("team", sub.userId);
  grant();
  await assert.rejects(subscribing, { code: "FORBIDDEN" });
  assert.equal(hub.subscriptionCount, 0);
});
