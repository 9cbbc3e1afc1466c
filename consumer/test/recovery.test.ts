import assert from "node:assert/strict";
import postgres from "postgres";
import { z } from "zod";
import { brokerConfigFrom, brokerEnv } from "../../shared/broker/config.ts";
import { NatsBroker } from "../../shared/broker/nats.ts";
import { parseEnv } from "../../shared/config/env.ts";
import { createLogger } from "../../shared/logging/logger.ts";
import type { MessageFrame, SubscribedFrame } from "../../shared/protocol/frames.ts";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import { api, publishMany, Reader, StalledSocket } from "./support.ts";

const MAX_BUFFERED_BYTES = 256 * 1024;

/** Waits until `channel` has `seq` stored, as the history API reports it. */
async function stored(base: string, token: string, channel: string, seq: number) {
  const deadline = Date.now() + 15_000;
  while (
    (await api(base, token, "GET", `/v1/channels/${channel}/messages?limit=1`)).body.lastSeq < seq
  ) {
    assert.ok(Date.now() < deadline, `${channel} reached seq ${seq}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A metric's value; a missing one fails (NaN would pass `before + 1 === after` as NaN twice). */
async function metricValue(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  const value = Number(line?.split(" ").at(-1));
  assert.ok(Number.isFinite(value), `${base}/metrics has no ${name}`);
  return value;
}

Deno.test("consumer recovery, retention, slow subscribers and dead letters", async (t) => {
  const system = await startDistributed({
    env: {
      RATE_PER_SECOND: "100000",
      RATE_BURST: "100000",
      MAX_BUFFERED_BYTES: String(MAX_BUFFERED_BYTES),
      PERSIST_MAX_ATTEMPTS: "2",
    },
  });
  const consumer = system.consumerUrls[0];
  const consumerWs = wsUrl(consumer);
  const producerWs = wsUrl(system.producerUrl);
  try {
    const { token, userId } = await registerAndLogin(system.authUrl);

    await t.step(
      "reconnect with since while more arrive live: the 60 exactly once, in order",
      async () => {
        const first = await Reader.open(consumerWs, token, ["rec"]);
        await publishMany(producerWs, token, 5, () => "rec");
        await first.waitFor({ rec: 5 });
        await first.close();
        await publishMany(producerWs, token, 50, () => "rec");
        const [again] = await Promise.all([
          Reader.open(consumerWs, token, ["rec"], { rec: 5 }),
          publishMany(producerWs, token, 10, () => "rec"),
        ]);
        await again.waitFor({ rec: 65 });
        await new Promise((r) => setTimeout(r, 200));
        assert.deepEqual(first.violations, []);
        assert.deepEqual(again.violations, []);
        assert.deepEqual(
          again.messages.get("rec")!.map((m) => m.seq),
          Array.from({ length: 60 }, (_, i) => 6 + i),
        );
        await again.close();
      },
    );

    await t.step(
      "since older than what is retained: recovered:false, from the head on",
      async () => {
        await publishMany(producerWs, token, 40, () => "old");
        await stored(consumer, token, "old", 40);
        // Retention removed the oldest 30 messages.
        const sql = postgres(system.databaseUrl, { max: 1, onnotice: () => {} });
        await sql`delete from messages where channel_id = 'old' and seq <= 30`;
        await sql.end();

        const client = await WsClient.connect(consumerWs, token);
        const lost = await client.request<SubscribedFrame>({
          id: 1,
          type: "subscribe",
          channel: "old",
          since: 10,
        });
        assert.deepEqual(lost, {
          id: 1,
          type: "subscribed",
          channel: "old",
          lastSeq: 40,
          recovered: false,
        });
        const kept = await client.request<SubscribedFrame>({
          id: 2,
          type: "subscribe",
          channel: "old",
          since: 35,
        });
        assert.equal(kept.recovered, true);
        for (let seq = 36; seq <= 40; seq++) {
          assert.equal((await client.next<MessageFrame>((f) => f.type === "message")).seq, seq);
        }
        const edge = await client.request<SubscribedFrame>({
          id: 3,
          type: "subscribe",
          channel: "old",
          since: 30,
        });
        assert.equal(edge.recovered, true, "since = the last message removed: nothing is missing");
        for (let seq = 31; seq <= 40; seq++) {
          assert.equal((await client.next<MessageFrame>((f) => f.type === "message")).seq, seq);
        }
        await publishMany(producerWs, token, 1, () => "old");
        assert.equal((await client.next<MessageFrame>((f) => f.type === "message")).seq, 41);
        await client.close();
      },
    );

    await t.step("a slow subscriber is cut off with 4008 while a fast one keeps up", async () => {
      const slowBefore = await metricValue(consumer, "rtm_slow_consumer_closes_total");
      const stalled = await StalledSocket.open(consumerWs, token);
      await stalled.send({ id: 1, type: "subscribe", channel: "firehose" });
      const fast = await Reader.open(consumerWs, token, ["firehose"]);
      // ~12 MB: well past the kernel's socket buffers and the 256 KiB bound.
      const sent = await publishMany(producerWs, token, 1_500, () => "firehose", {
        bodyBytes: 8_000,
        window: 50,
      });
      await fast.waitFor({ firehose: sent.firehose });
      assert.deepEqual(fast.violations, []);
      assert.equal(await stalled.closeCode(), 4008);
      assert.equal(await metricValue(consumer, "rtm_slow_consumer_closes_total"), slowBefore + 1);
      assert.equal(fast.client.socket.readyState, WebSocket.OPEN);
      await fast.close();
    });

    await t.step(
      "a message that cannot be stored is dead-lettered durably; the rest flow",
      async () => {
        const vars = parseEnv(z.object(brokerEnv), system.env);
        const broker = await NatsBroker.connect({
          ...brokerConfigFrom(vars),
          name: "test",
          logger: createLogger({ test: "dead letters" }),
        });
        try {
          // Straight into the log, bypassing the producer: its channel does not exist.
          const sender = userId;
          await broker.log.append(
            {
              id: crypto.randomUUID(),
              channel: "ghost",
              clientMsgId: "poison-1",
              sender,
              body: "nobody home",
              sentAt: new Date().toISOString(),
            },
            `${sender}:poison-1`,
            2_000,
          );
          const live = await Reader.open(consumerWs, token, ["after-poison"]);
          await publishMany(producerWs, token, 3, () => "after-poison");
          await live.waitFor({ "after-poison": 3 });
          const deadline = Date.now() + 10_000;
          while (await broker.deadLetters.count() < 1) {
            assert.ok(Date.now() < deadline, "dead letter stored");
            await new Promise((r) => setTimeout(r, 100));
          }
          assert.equal(await broker.deadLetters.count(), 1);
          assert.equal(await metricValue(consumer, "rtm_dead_letters_total"), 1);
          assert.equal(await metricValue(consumer, "rtm_dead_letters_stored"), 1);
          await live.close();
        } finally {
          await broker.close();
        }
      },
    );
  } finally {
    await system.stop();
  }
});

Deno.test("consumer: a store slower than the ack wait is not redelivered while the instance lives", async () => {
  const system = await startDistributed({ env: { PERSIST_ACK_WAIT_SECONDS: "1" } });
  const consumer = system.consumerUrls[0];
  const sql = postgres(system.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const { token } = await registerAndLogin(system.authUrl);
    const producerWs = wsUrl(system.producerUrl);
    await publishMany(producerWs, token, 1, () => "slow");
    await stored(consumer, token, "slow", 1);

    // Hold the channel's row lock for 3.5 ack waits: the batch waits on it in PostgreSQL.
    await sql.begin(async (tx) => {
      await tx`select 1 from channels where id = 'slow' for update`;
      await publishMany(producerWs, token, 5, () => "slow");
      await new Promise((r) => setTimeout(r, 3_500));
    });
    await stored(consumer, token, "slow", 6);
    assert.equal(await metricValue(consumer, "rtm_redeliveries_total"), 0);
    const [{ n }] = await sql<{ n: number }[]>`
      select count(*)::int as n from messages where channel_id = 'slow'`;
    assert.equal(n, 6);
  } finally {
    await sql.end();
    await system.stop();
  }
});
