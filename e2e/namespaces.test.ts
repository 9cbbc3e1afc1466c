import assert from "node:assert/strict";
import { PgApiKeys } from "../shared/apikeys/pg_api_keys.ts";
import { connectPostgres } from "../shared/db/postgres.ts";
import type {
  ErrorFrame,
  MessageFrame,
  PresenceFrame,
  SubscribedFrame,
} from "../shared/protocol/frames.ts";
import { registerAndLogin } from "../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../shared/testing/system.ts";
import { WsClient } from "../shared/testing/ws_client.ts";
import { eventually } from "../shared/testing/eventually.ts";

const NAMESPACES = {
  news: { clientPublish: false, maxBodyBytes: 16 },
  short: { historyMaxCount: 3 },
  brief: { historyMaxAgeSeconds: 1 },
  quiet: { presence: false },
  hush: { joinLeave: false },
};

Deno.test("channel namespaces: server-only publishing, body limit, retention, presence options", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "rtm-ns-" });
  await Deno.writeTextFile(`${dir}/namespaces.json`, JSON.stringify(NAMESPACES));
  const system = await startDistributed({
    env: { NAMESPACES_FILE: `${dir}/namespaces.json`, RETENTION_INTERVAL_MS: "200" },
  });
  const sql = connectPostgres(system.databaseUrl, { max: 1 });
  const sockets: WsClient[] = [];
  const connect = async (url: string, token: string) => {
    const ws = await WsClient.connect(wsUrl(url), token);
    sockets.push(ws);
    return ws;
  };
  try {
    const { key } = await new PgApiKeys(sql).create("ns", ["publish"]);
    const serverPublish = (channel: string, body: string) =>
      fetch(`${system.producerUrl}/v1/server/publish`, {
        method: "POST",
        headers: { authorization: `ApiKey ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ channel, body }),
      }).then(async (r) => ({ status: r.status, json: await r.json() }));
    const alice = await registerAndLogin(system.authUrl);
    const bob = await registerAndLogin(system.authUrl);
    const producer = await connect(system.producerUrl, alice.token);
    const publish = (id: string, channel: string, body = "hi") =>
      producer.request<ErrorFrame>({ id, type: "publish", channel, clientMsgId: id, body });

    await t.step("a server-only namespace refuses a client's publish with FORBIDDEN", async () => {
      const refused = await publish("n1", "news:today");
      assert.deepEqual([refused.type, refused.code], ["error", "FORBIDDEN"]);
      const http = await fetch(`${system.producerUrl}/v1/channels/news:today/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json" },
        body: JSON.stringify({ clientMsgId: "n2", body: "hi" }),
      });
      assert.equal(http.status, 403);
      await http.body?.cancel();
      assert.equal((await serverPublish("news:today", "from the server")).status, 202);
      const big = await serverPublish("news:today", "seventeen bytes!!");
      assert.deepEqual([big.status, big.json.error.code], [413, "TOO_LARGE"]);
    });

    await t.step(
      "an unknown namespace is INVALID; channels without one are as before",
      async () => {
        assert.equal((await publish("u1", "nope:x")).code, "INVALID");
        const sub = await connect(system.consumerUrls[0], alice.token);
        const refused = await sub.request<ErrorFrame>({
          id: 1,
          type: "subscribe",
          channel: "nope:x",
        });
        assert.equal(refused.code, "INVALID");
        assert.equal((await publish("u2", "plain-ns-test")).type, "ack");
      },
    );

    await t.step(
      "retention keeps the newest 3; recovery past them says recovered: false",
      async () => {
        for (let i = 1; i <= 10; i++) {
          assert.equal((await serverPublish("short:log", `#${i}`)).status, 202);
        }
        let rows: { seq: number }[] = [];
        await eventually("all but the newest 3 pruned", async () => {
          rows = await sql<{ seq: number }[]>`
            select seq::int from messages where channel_id = 'short:log' order by seq`;
          return rows.length === 3 && rows[2].seq === 10;
        });
        assert.deepEqual(rows.map((r) => r.seq), [8, 9, 10]);

        const sub = await connect(system.consumerUrls[0], alice.token);
        const lost = await sub.request<SubscribedFrame>({
          id: "a",
          type: "subscribe",
          channel: "short:log",
          since: 2,
        });
        assert.deepEqual([lost.recovered, lost.lastSeq], [false, 10]);
        const kept = await connect(system.consumerUrls[0], bob.token);
        const ok = await kept.request<SubscribedFrame>({
          id: "b",
          type: "subscribe",
          channel: "short:log",
          since: 7,
        });
        assert.equal(ok.recovered, true);
        const replayed = [
          await kept.next<MessageFrame>((f) => f.type === "message"),
          await kept.next<MessageFrame>((f) => f.type === "message"),
          await kept.next<MessageFrame>((f) => f.type === "message"),
        ];
        assert.deepEqual(replayed.map((m) => m.seq), [8, 9, 10]);
      },
    );

    await t.step("retention by age: a second later nothing is kept, seqs go on", async () => {
      for (let i = 1; i <= 2; i++) {
        assert.equal((await serverPublish("brief:flash", `#${i}`)).status, 202);
      }
      // Both stored (last seq 2), then both pruned.
      await eventually("both stored and pruned", async () => {
        const [row] = await sql<{ last: number; left: number }[]>`
          select c.last_seq::int as last,
            (select count(*)::int from messages where channel_id = c.id) as left
          from channels c where c.id = 'brief:flash'`;
        return row?.last === 2 && row.left === 0;
      });
      const sub = await connect(system.consumerUrls[0], alice.token);
      const frame = await sub.request<SubscribedFrame>({
        id: "c",
        type: "subscribe",
        channel: "brief:flash",
        since: 0,
      });
      assert.deepEqual([frame.recovered, frame.lastSeq], [false, 2]);
      assert.equal((await serverPublish("brief:flash", "#3")).json.channel, "brief:flash");
      const next = await sub.next<MessageFrame>((f) => f.type === "message");
      assert.equal(next.seq, 3);
    });

    await t.step("presence off: nobody is listed; join/leave off: no presence frames", async () => {
      const quiet = await connect(system.consumerUrls[0], alice.token);
      await quiet.request({ id: 1, type: "subscribe", channel: "quiet:room" });
      const hushA = await connect(system.consumerUrls[0], alice.token);
      await hushA.request({ id: 1, type: "subscribe", channel: "hush:room" });
      const hushB = await connect(system.consumerUrls[0], bob.token);
      await hushB.request({ id: 1, type: "subscribe", channel: "hush:room" });
      const online = async (channel: string) => {
        const res = await fetch(`${system.consumerUrls[0]}/v1/channels/${channel}/presence`, {
          headers: { authorization: `Bearer ${alice.token}` },
        });
        return (await res.json()).online as string[];
      };
      await eventually(
        "presence itself is on",
        async () => (await online("hush:room")).length === 2,
      );
      assert.deepEqual(
        await online("quiet:room"),
        [],
        "subscribed before the hush room, never listed",
      );
      for (const ws of [quiet, hushA, hushB]) {
        await assert.rejects(ws.next<PresenceFrame>((f) => f.type === "presence", 300));
      }
    });
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await sql.end();
    await system.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
