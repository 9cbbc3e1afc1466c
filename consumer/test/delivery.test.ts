import assert from "node:assert/strict";
import postgres from "postgres";
import { eventually } from "../../shared/testing/eventually.ts";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import { addCounts, metricValue, publishMany, Reader } from "./support.ts";

const CHANNELS = ["alpha", "bravo", "charlie", "delta", "echo"];
const PUBLISHERS = 4;

/** Rows per channel, and whether each channel's seqs are exactly 1..count with no duplicate. */
async function checkRows(databaseUrl: string): Promise<Record<string, number>> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<
      { channel_id: string; n: number; max: number; distinct_seq: number; distinct_key: number }[]
    >`
      select channel_id, count(*)::int as n, max(seq)::int as max,
        count(distinct seq)::int as distinct_seq,
        count(distinct (sender_id, client_msg_id))::int as distinct_key
      from messages group by channel_id`;
    const counts: Record<string, number> = {};
    for (const r of rows) {
      assert.equal(r.max, r.n, `${r.channel_id}: seqs are gap-free 1..n`);
      assert.equal(r.distinct_seq, r.n, `${r.channel_id}: no seq twice`);
      assert.equal(r.distinct_key, r.n, `${r.channel_id}: no message stored twice`);
      counts[r.channel_id] = r.n;
    }
    const [channels] = await sql<{ ok: boolean }[]>`
      select bool_and(c.last_seq = coalesce(m.n, 0)) as ok from channels c
      left join (select channel_id, count(*) as n from messages group by channel_id) m
        on m.channel_id = c.id`;
    assert.ok(channels.ok, "channels.last_seq equals the stored count");
    return counts;
  } finally {
    await sql.end();
  }
}

/** Publishes `total` messages spread over the channels from several publishers at once. */
async function publishFromSeveral(producerWs: string, tokens: string[], total: number) {
  const each = total / tokens.length;
  const counts = await Promise.all(
    tokens.map((token, p) =>
      publishMany(producerWs, token, each, (i) => CHANNELS[(i + p) % CHANNELS.length])
    ),
  );
  return addCounts(...counts);
}

Deno.test("consumer delivery: 2 instances, 5 channels, several publishers", async (t) => {
  const system = await startDistributed({
    consumers: 2,
    env: {
      RATE_PER_SECOND: "100000",
      RATE_BURST: "100000",
    },
  });
  const producerWs = wsUrl(system.producerUrl);
  try {
    const users = await Promise.all(
      Array.from({ length: PUBLISHERS }, () => registerAndLogin(system.authUrl)),
    );
    const tokens = users.map((u) => u.token);
    let expected: Record<string, number> = {};

    await t.step("10,000 messages: every subscriber gets each once, in seq order", async () => {
      const readers = await Promise.all([
        Reader.open(wsUrl(system.consumerUrls[0]), tokens[0], CHANNELS),
        Reader.open(wsUrl(system.consumerUrls[1]), tokens[1], CHANNELS),
        Reader.open(wsUrl(system.consumerUrls[0]), tokens[2], CHANNELS.slice(0, 2)),
        Reader.open(wsUrl(system.consumerUrls[1]), tokens[3], CHANNELS.slice(3)),
      ]);
      const started = performance.now();
      expected = await publishFromSeveral(producerWs, tokens, 10_000);
      const acked = performance.now();
      for (const reader of readers) {
        const mine = Object.fromEntries(
          [...reader.last.keys()].map((c) => [c, expected[c]]),
        );
        await reader.waitFor(mine);
      }
      const delivered = performance.now();
      console.log(
        `10,000 messages: acked in ${Math.round(acked - started)} ms, ` +
          `delivered to every reader in ${Math.round(delivered - started)} ms`,
      );
      await new Promise((r) => setTimeout(r, 200)); // anything trailing would be a duplicate
      for (const reader of readers) {
        assert.deepEqual(reader.violations, []);
        for (const [channel, msgs] of reader.messages) {
          assert.equal(msgs.length, expected[channel], `${channel}: each message once`);
        }
      }
      assert.deepEqual(await checkRows(system.databaseUrl), expected);
      await Promise.all(readers.map((r) => r.close()));
    });

    await t.step(
      "an instance receives deliveries only of channels its own sockets follow",
      async () => {
        const [idle, following] = system.consumerUrls;
        const received = (url: string) => metricValue(url, "rtm_delivery_received_total");
        const reader = await Reader.open(wsUrl(following), tokens[0], [CHANNELS[0]], {
          [CHANNELS[0]]: expected[CHANNELS[0]],
        });
        const before = { idle: await received(idle), following: await received(following) };
        const others = await publishMany(producerWs, tokens[1], 200, (i) => CHANNELS[1 + i % 4]);
        const followed = await publishMany(producerWs, tokens[1], 20, () => CHANNELS[0]);
        expected = addCounts(expected, others, followed);
        await reader.waitFor({ [CHANNELS[0]]: expected[CHANNELS[0]] });
        await new Promise((r) => setTimeout(r, 200)); // a stray delivery would have arrived by now
        // Whichever instance persisted them, no socket-less instance got any of the 220, and the
        // following one at most the 20 of its channel (the ones the other instance persisted).
        assert.equal(await received(idle) - before.idle, 0);
        assert.ok(await received(following) - before.following <= 20);
        assert.deepEqual(reader.violations, []);
        await reader.close();
      },
    );

    await t.step("SIGKILL an instance mid-stream, restart: nothing lost or doubled", async () => {
      const [victim] = system.consumers;
      const onVictim = await Reader.open(wsUrl(system.consumerUrls[0]), tokens[0], CHANNELS, {
        ...expected,
      });
      const onSurvivor = await Reader.open(wsUrl(system.consumerUrls[1]), tokens[1], CHANNELS, {
        ...expected,
      });
      const publishing = publishFromSeveral(producerWs, tokens, 2_000);
      const base = Object.values(expected).reduce((a, b) => a + b, 0);
      const seen = () => [...onVictim.last.values()].reduce((a, b) => a + b, 0) - base;
      await eventually("500 messages seen", () => seen() >= 500, { everyMs: 5 });
      await victim.stop("SIGKILL");
      await onVictim.client.closed;
      const restarted = await system.startConsumer();
      const resumed = await Reader.open(
        wsUrl(`http://127.0.0.1:${restarted.port}`),
        tokens[0],
        CHANNELS,
        Object.fromEntries(onVictim.last),
      );
      expected = addCounts(expected, await publishing);
      await Promise.all([resumed.waitFor(expected), onSurvivor.waitFor(expected)]);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(onVictim.violations, []);
      assert.deepEqual(resumed.violations, []);
      assert.deepEqual(onSurvivor.violations, []);
      assert.deepEqual(await checkRows(system.databaseUrl), expected);
      // Exactly once across the reconnect: the two sockets' messages together are each seq once.
      for (const channel of CHANNELS) {
        const seqs = [
          ...onVictim.messages.get(channel) ?? [],
          ...resumed.messages.get(channel) ?? [],
        ].map((m) => m.seq);
        const from = expected[channel] - seqs.length + 1;
        assert.deepEqual(seqs, seqs.map((_, i) => from + i), `${channel}: once each, in order`);
      }
      await Promise.all([resumed.close(), onSurvivor.close()]);
      system.consumers.splice(system.consumers.indexOf(victim), 1);
    });

    await t.step(
      "SIGTERM drains: sockets closed with 1001, exit 0, every message stored",
      async () => {
        const [draining] = system.consumers;
        const client = await WsClient.connect(
          wsUrl(`http://127.0.0.1:${draining.port}`),
          tokens[0],
        );
        await client.request({ id: 1, type: "subscribe", channel: CHANNELS[0] });
        const publishing = publishFromSeveral(producerWs, tokens, 1_000);
        await new Promise((r) => setTimeout(r, 100));
        const code = await draining.stop("SIGTERM");
        assert.equal(code, 0, draining.logs());
        assert.equal((await client.closed).code, 1001);
        system.consumers.splice(system.consumers.indexOf(draining), 1);
        expected = addCounts(expected, await publishing);
        // The remaining instance persists whatever the drained one handed back.
        const deadline = Date.now() + 20_000;
        while (true) {
          const sql = postgres(system.databaseUrl, { max: 1, onnotice: () => {} });
          const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from messages`;
          await sql.end();
          if (n === Object.values(expected).reduce((a, b) => a + b, 0)) break;
          assert.ok(Date.now() < deadline, `only ${n} rows stored`);
          await new Promise((r) => setTimeout(r, 200));
        }
        assert.deepEqual(await checkRows(system.databaseUrl), expected);
      },
    );
  } finally {
    await system.stop();
  }
});
