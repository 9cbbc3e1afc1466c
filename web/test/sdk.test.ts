import assert from "node:assert/strict";
import { withDeadline } from "../../shared/async/deadline.ts";
import { connectPostgres } from "../../shared/db/postgres.ts";
import { eventually } from "../../shared/testing/eventually.ts";
import { startDistributed } from "../../shared/testing/system.ts";
import { type ConnectionStatus, RtmError } from "../sdk/mod.ts";
import { collector, newClient, restart, sleep } from "./support.ts";

const channelName = () => `sdk-${crypto.randomUUID().slice(0, 8)}`;

function assertExactlyOnceInOrder(seqs: number[], count: number) {
  assert.deepEqual(seqs, Array.from({ length: count }, (_, i) => i + 1));
}

async function rejectsWith(promise: Promise<unknown>, code: string) {
  await assert.rejects(promise, (err) => err instanceof RtmError && err.code === code);
}

Deno.test("SDK against the distributed system", async (t) => {
  const system = await startDistributed();
  const alice = await newClient(system);
  const statuses: ConnectionStatus[] = [];
  const bob = await newClient(system, { onStatus: (s) => statuses.push(s) });
  const restarted: { stop(): Promise<number> }[] = [];
  try {
    await t.step(
      "publish resolves on ack; the subscriber sees each message once, in order",
      async () => {
        const channel = channelName();
        const got = collector();
        await bob.subscribe(channel, got.onMessage);
        const bodies = Array.from({ length: 30 }, (_, i) => `message ${i}`);
        const acks = await Promise.all(bodies.map((b) => alice.publish(channel, b)));
        assert.ok(acks.every((a) => a.type === "ack" && a.channel === channel));
        await got.until(30);
        assertExactlyOnceInOrder(got.messages.map((m) => m.seq), 30);
        assert.deepEqual(new Set(got.messages.map((m) => m.body)), new Set(bodies));
        assert.ok(got.messages.every((m) => m.sender === alice.userId));
        // History over HTTP agrees with what was delivered live.
        const page = await bob.history(channel, { limit: 10 });
        assert.deepEqual(page.messages.map((m) => m.seq), [21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
        const older = await bob.history(channel, { before: 21, limit: 10 });
        assert.deepEqual(older.messages.map((m) => m.seq)[0], 11);
      },
    );

    await t.step("refusals reject with the server's code", async () => {
      await rejectsWith(alice.publish("not a channel!", "x"), "INVALID");
      await rejectsWith(alice.publish(channelName(), "x".repeat(17 * 1024)), "TOO_LARGE");
      const sql = connectPostgres(system.databaseUrl, { max: 1 });
      await sql`insert into channels (id, kind) values ('sdk-private', 'private')`;
      await sql.end();
      await rejectsWith(alice.publish("sdk-private", "let me in"), "FORBIDDEN");
      await rejectsWith(bob.subscribe("sdk-private", () => {}), "FORBIDDEN");
    });

    await t.step("a member removed from a private channel gets onError(FORBIDDEN)", async () => {
      const channel = channelName();
      await alice.createChannel(channel, "private");
      await alice.addMember(channel, bob.userId);
      const got = collector();
      let ended!: (err: RtmError) => void;
      const endedWith = new Promise<RtmError>((resolve) => ended = resolve);
      await bob.subscribe(channel, got.onMessage, { onError: ended });
      await alice.publish(channel, "while a member");
      await got.until(1);
      // The SDK has no call for removing a member: the owner does it over HTTP.
      const res = await fetch(
        `${system.consumerUrls[0]}/v1/channels/${channel}/members/${bob.userId}`,
        { method: "DELETE", headers: { authorization: `Bearer ${await alice.refreshToken()}` } },
      );
      assert.equal(res.status, 204);
      const err = await withDeadline(endedWith, 10_000, () => new Error("onError never came"));
      assert.equal(err.code, "FORBIDDEN");
    });

    await t.step(
      "after a publish the sender's typing goes out again at once, not 3 s later",
      async () => {
        const channel = channelName();
        const got = collector();
        const seen: number[] = [];
        await bob.subscribe(channel, got.onMessage, {
          onTyping: (typing) => typing.user === alice.userId && seen.push(Date.now()),
        });
        await alice.subscribe(channel, () => {});
        assert.equal(alice.typing(channel), true);
        const typedAt = Date.now();
        await eventually("Bob sees Alice typing", () => seen.length === 1);
        await alice.publish(channel, "sent");
        await eventually("Alice's next keystroke goes out", () => alice.typing(channel), {
          everyMs: 10,
        });
        const gap = Date.now() - typedAt;
        assert.ok(
          gap >= 1_000 && gap < 3_000,
          `the second signal went out ${gap} ms after the first`,
        );
        // The server took it (it refuses a second one within its second): Bob sees it.
        await eventually("Bob sees Alice typing again", () => seen.length === 2);
        await got.until(1);
      },
    );

    await t.step("a subscription recovers across a consumer restart, exactly once", async () => {
      const channel = channelName();
      const got = collector();
      await bob.subscribe(channel, got.onMessage);
      for (let i = 0; i < 10; i++) await alice.publish(channel, `before ${i}`);
      await got.until(10);
      const consumer = system.consumers[0];
      await consumer.stop("SIGKILL");
      // Stored by JetStream while no consumer runs; persisted and replayed after the restart.
      for (let i = 0; i < 10; i++) await alice.publish(channel, `while down ${i}`);
      restarted.push(await restart(system, "consumer", consumer.port));
      for (let i = 0; i < 10; i++) await alice.publish(channel, `after ${i}`);
      await got.until(30, 30_000);
      await sleep(300);
      assertExactlyOnceInOrder(got.messages.map((m) => m.seq), 30);
      assert.ok(statuses.includes("reconnecting"), statuses.join());
      assert.equal(bob.connectionStatus, "online");
    });

    await t.step("publishes retry across a producer restart without duplicates", async () => {
      const channel = channelName();
      const got = collector();
      await bob.subscribe(channel, got.onMessage);
      const bodies = Array.from({ length: 40 }, (_, i) => `retry ${i}`);
      // Half in flight when the producer dies, half published while it is down.
      const inFlight = bodies.slice(0, 20).map((b) => alice.publish(channel, b));
      await system.producer.stop("SIGKILL");
      const whileDown = bodies.slice(20).map((b) => alice.publish(channel, b));
      const acks = Promise.all([...inFlight, ...whileDown]);
      await sleep(300);
      restarted.push(await restart(system, "producer", system.producer.port));
      assert.equal((await acks).length, 40);
      await got.until(40);
      await sleep(500);
      assertExactlyOnceInOrder(got.messages.map((m) => m.seq), 40);
      assert.deepEqual(new Set(got.messages.map((m) => m.body)), new Set(bodies));
    });
  } finally {
    alice.close();
    bob.close();
    await Promise.all(restarted.map((p) => p.stop()));
    await system.stop();
  }
});

Deno.test("SDK given several consumer instances moves to a live one when its instance dies", async () => {
  const system = await startDistributed({ consumers: 2 });
  const alice = await newClient(system);
  const bob = await newClient(system, { consumerUrl: system.consumerUrls });
  const restarted: { stop(): Promise<number> }[] = [];
  try {
    const channel = channelName();
    const got = collector();
    await bob.subscribe(channel, got.onMessage);
    let sent = 0;
    const publishSome = async (n: number) => {
      for (let i = 0; i < n; i++) await alice.publish(channel, `m${++sent}`);
    };
    await publishSome(10);
    await got.until(10);
    // Kill each instance in turn and keep it down while messages flow: bob's instance dies in
    // one round at least (in both, if he was on the first), and only moving on gets him the rest.
    for (const [i, port] of system.consumerUrls.map((u) => Number(new URL(u).port)).entries()) {
      await system.consumers[i].stop("SIGKILL");
      await publishSome(10);
      await got.until(sent, 10_000);
      restarted.push(await restart(system, "consumer", port));
    }
    await sleep(300);
    assertExactlyOnceInOrder(got.messages.map((m) => m.seq), sent);
    // HTTP calls follow the socket to the live instance.
    const page = await bob.history(channel, { limit: 5 });
    assert.deepEqual(page.messages.map((m) => m.seq), [26, 27, 28, 29, 30]);
    assert.equal(bob.connectionStatus, "online");
  } finally {
    alice.close();
    bob.close();
    await Promise.all(restarted.map((p) => p.stop()));
    await system.stop();
  }
});
