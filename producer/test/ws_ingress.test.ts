import assert from "node:assert/strict";
import postgres from "postgres";
import type { AckFrame, ErrorFrame } from "../../shared/protocol/frames.ts";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import {
  channelName,
  countCodes,
  publishFrames,
  type Reply,
  sendAll,
  streamMessages,
} from "./support.ts";

/**
 * The producer as its own process on real NATS JetStream and PostgreSQL, with small limits so
 * every one of them can be hit: per socket 5/s burst 250, per user 5/s burst 400, a flood after
 * 150 RATE_LIMITED answers in a burst, 3 sockets per user and 8 in total.
 */
Deno.test("producer ingress: bad input, limits, dedupe, authorization, order", async (t) => {
  const system = await startDistributed({
    consumers: 0,
    env: {
      LOG_LEVEL: "info",
      RATE_PER_SECOND: "5",
      RATE_BURST: "250",
      USER_RATE_PER_SECOND: "5",
      USER_RATE_BURST: "400",
      FLOOD_STRIKES: "150",
      MAX_CONNECTIONS_PER_USER: "3",
      MAX_CONNECTIONS: "8",
    },
  });
  const ws = wsUrl(system.producerUrl);
  const stream = () => streamMessages(system.natsUrl, system.namespace);
  const login = () => registerAndLogin(system.authUrl);
  const http = (channel: string, token: string | undefined, body: unknown) =>
    fetch(`${system.producerUrl}/v1/channels/${channel}/messages`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  try {
    await t.step(
      "every malformed frame is INVALID, echoes its id, and the socket stays open",
      async () => {
        const { token } = await login();
        const pub = await WsClient.connect(ws, token);
        const ok = { type: "publish", channel: "general", clientMsgId: "m-1", body: "hi" };
        const bad: [unknown, RegExp][] = [
          ["not json at all", /not valid JSON/],
          [{ id: 1, type: "shout", channel: "general" }, /type/],
          // A consumer frame is told where it belongs.
          [{ id: "s", type: "subscribe", channel: "general" }, /consumer's WebSocket \(\/v1\/ws/],
          [{ ...ok, id: 2, clientMsgId: undefined }, /clientMsgId/],
          [{ ...ok, id: 3, body: 42 }, /body/],
          [{ ...ok, id: 4, channel: "a.b" }, /channel/],
          [{ ...ok, id: 5, channel: "*" }, /channel/],
          [{ ...ok, id: 6, channel: ">" }, /channel/],
          [{ ...ok, id: 7, channel: "" }, /channel/],
          [{ ...ok, id: 8, channel: "x".repeat(65) }, /channel/],
          [{ ...ok, id: 9, channel: "message.>" }, /channel/],
          [{ ...ok, id: 10, clientMsgId: "has space" }, /clientMsgId/],
          [[1, 2, 3], /.+/],
          ["null", /.+/],
        ];
        for (const [frame, message] of bad) {
          pub.send(frame);
          const err = await pub.next<ErrorFrame>((f) => f.type === "error");
          assert.equal(err.code, "INVALID", JSON.stringify(frame));
          assert.match(err.message, message);
          const id = typeof frame === "object" && frame && "id" in frame ? frame.id : undefined;
          assert.equal(err.id, id);
        }
        pub.socket.send(new Uint8Array([123, 125]));
        const binary = await pub.next<ErrorFrame>((f) => f.type === "error");
        assert.equal(binary.code, "INVALID");
        assert.match(binary.message, /binary/);
        assert.equal((await pub.request({ id: "p", type: "ping" })).type, "pong");
        assert.equal(pub.socket.readyState, WebSocket.OPEN);
        await pub.close();
        // Nothing of the above reached JetStream.
        assert.equal((await stream()).length, 0);
      },
    );

    await t.step("HTTP publish: bad channel ids and bodies are 400, no token is 401", async () => {
      const { token } = await login();
      for (const channel of ["a.b", "*", "%3E", "x".repeat(65)]) {
        const res = await http(channel, token, { clientMsgId: "m", body: "b" });
        assert.equal(res.status, 400, channel);
        assert.equal((await res.json()).error.code, "INVALID");
      }
      const notJson = await http("general", token, "{nope");
      assert.equal(notJson.status, 400);
      assert.equal((await notJson.json()).error.code, "INVALID");
      const missing = await http("general", token, { body: "b" });
      assert.equal(missing.status, 400);
      await missing.body?.cancel();
      const anonymous = await http("general", undefined, { clientMsgId: "m", body: "b" });
      assert.equal(anonymous.status, 401);
      assert.equal((await anonymous.json()).error.code, "UNAUTHENTICATED");
      assert.equal((await stream()).length, 0);
    });

    await t.step(
      "a body over 16 KiB (UTF-8 bytes) is TOO_LARGE; exactly 16 KiB is stored",
      async () => {
        const { token } = await login();
        const pub = await WsClient.connect(ws, token);
        const channel = channelName();
        const publish = (id: number, body: string) =>
          pub.request<AckFrame | ErrorFrame>({
            id,
            type: "publish",
            channel,
            clientMsgId: `big-${id}`,
            body,
          });
        const over = await publish(1, "x".repeat(16 * 1024 + 1));
        assert.equal(over.type === "error" && over.code, "TOO_LARGE");
        // 8,193 characters, but 16,386 bytes once UTF-8 encoded.
        const wide = await publish(2, "é".repeat(8193));
        assert.equal(wide.type === "error" && wide.code, "TOO_LARGE");
        const exact = await publish(3, "x".repeat(16 * 1024));
        assert.equal(exact.type, "ack");
        const res = await http(channel, token, { clientMsgId: "big-4", body: "x".repeat(16385) });
        assert.equal(res.status, 413);
        assert.equal((await res.json()).error.code, "TOO_LARGE");
        assert.equal(pub.socket.readyState, WebSocket.OPEN);
        await pub.close();
        const stored = (await stream()).filter((m) => m.message.channel === channel);
        assert.deepEqual(stored.map((m) => m.message.clientMsgId), ["big-3"]);
      },
    );

    await t.step("a frame over 1 MiB closes the socket with 4009 and a reason", async () => {
      const { token } = await login();
      for (const body of ["x".repeat(1024 * 1024 + 1), "é".repeat(600_000)]) {
        const pub = await WsClient.connect(ws, token);
        pub.send({ id: 1, type: "publish", channel: "general", clientMsgId: "huge", body });
        const closed = await pub.closed;
        assert.equal(closed.code, 4009);
        assert.match(closed.reason, /frame exceeds 1048576 bytes/);
      }
    });

    await t.step(
      "the same clientMsgId three times: one stream message, three identical acks",
      async () => {
        const { token } = await login();
        const other = await login();
        const channel = channelName();
        const pub = await WsClient.connect(ws, token);
        const frame = { type: "publish", channel, clientMsgId: "retry-me", body: "once" };
        const acks = [];
        for (const id of [1, 2, 3]) {
          const { id: _, ...ack } = await pub.request<AckFrame>({ ...frame, id });
          acks.push(ack);
        }
        assert.equal(acks[0].type, "ack");
        assert.deepEqual(acks[1], acks[0]);
        assert.deepEqual(acks[2], acks[0]);
        // The HTTP path is the same publish and gets the same receipt.
        const res = await http(channel, token, { clientMsgId: "retry-me", body: "once" });
        assert.equal(res.status, 202);
        assert.deepEqual(await res.json(), {
          channel,
          clientMsgId: "retry-me",
          streamSeq: acks[0].streamSeq,
        });
        // Another user's equal clientMsgId is another message.
        const theirs = await WsClient.connect(ws, other.token);
        const theirAck = await theirs.request<AckFrame>({ ...frame, id: 1 });
        assert.equal(theirAck.type, "ack");
        assert.notEqual(theirAck.streamSeq, acks[0].streamSeq);
        await Promise.all([pub.close(), theirs.close()]);
        const stored = (await stream()).filter((m) => m.message.channel === channel);
        assert.equal(stored.length, 2);
        assert.equal(stored[0].seq, acks[0].streamSeq);
        assert.equal(stored[0].message.body, "once");
      },
    );

    await t.step("private and direct channels: members publish, others get FORBIDDEN", async () => {
      const member = await login();
      const outsider = await login();
      const sql = postgres(system.databaseUrl, { max: 1, onnotice: () => {} });
      const [priv, direct] = [channelName("private"), channelName("dm")];
      await sql`insert into channels (id, kind, created_by) values
        (${priv}, 'private', ${member.userId}), (${direct}, 'direct', ${member.userId})`;
      await sql`insert into channel_members (channel_id, user_id) values
        (${priv}, ${member.userId}), (${direct}, ${member.userId})`;
      await sql.end();
      const [mine, theirs] = await Promise.all([
        WsClient.connect(ws, member.token),
        WsClient.connect(ws, outsider.token),
      ]);
      for (const channel of [priv, direct]) {
        const frame = { type: "publish", channel, clientMsgId: `to-${channel}`, body: "psst" };
        const denied = await theirs.request<ErrorFrame>({ ...frame, id: 1 });
        assert.equal(denied.type === "error" && denied.code, "FORBIDDEN");
        const res = await http(channel, outsider.token, frame);
        assert.equal(res.status, 403);
        assert.equal((await res.json()).error.code, "FORBIDDEN");
        assert.equal((await mine.request({ ...frame, id: 2 })).type, "ack");
      }
      // A channel nobody created is public and open to everyone.
      const open = await theirs.request({
        id: 3,
        type: "publish",
        channel: channelName("open"),
        clientMsgId: "o",
        body: "hi",
      });
      assert.equal(open.type, "ack");
      await Promise.all([mine.close(), theirs.close()]);
      const senders = (await stream()).filter((m) => [priv, direct].includes(m.message.channel))
        .map((m) => m.message.sender);
      assert.deepEqual(senders, [member.userId, member.userId]);
    });

    await t.step("200 publishes sent at once are acked and stored in send order", async () => {
      const { token } = await login();
      const pub = await WsClient.connect(ws, token);
      const channel = channelName();
      const frames = publishFrames(channel, 200);
      const replies = await sendAll(pub, frames);
      assert.deepEqual(replies.map((r) => r.type), frames.map(() => "ack"));
      assert.deepEqual(replies.map((r) => r.id), frames.map((f) => f.id));
      const seqs = (replies as AckFrame[]).map((a) => a.streamSeq);
      assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), "stream seqs increase");
      await pub.close();
      const stored = (await stream()).filter((m) => m.message.channel === channel);
      assert.deepEqual(stored.map((m) => m.message.clientMsgId), frames.map((f) => f.clientMsgId));
      assert.deepEqual(stored.map((m) => m.seq), seqs);
    });

    await t.step(
      "rate limit per connection: over the burst is RATE_LIMITED, socket stays open",
      async () => {
        const { token } = await login();
        const pub = await WsClient.connect(ws, token);
        const replies = await sendAll(pub, publishFrames(channelName(), 300));
        const counts = countCodes(replies);
        assert.ok(counts.ack >= 250 && counts.ack <= 260, JSON.stringify(counts));
        assert.equal(counts.ack + counts.RATE_LIMITED, 300, JSON.stringify(counts));
        assert.equal((await pub.request({ id: "p", type: "ping" })).type, "pong");
        await pub.close();
      },
    );

    await t.step("rate limit per user: two sockets share the user's bucket", async () => {
      const { token } = await login();
      const [one, two] = await Promise.all([
        WsClient.connect(ws, token),
        WsClient.connect(ws, token),
      ]);
      const first = countCodes(await sendAll(one, publishFrames(channelName(), 250)));
      assert.equal(first.ack, 250, JSON.stringify(first));
      // Socket two has a full burst of its own, but the user has only ~150 of 400 left.
      const second = countCodes(await sendAll(two, publishFrames(channelName(), 250)));
      assert.ok(second.ack >= 150 && second.ack <= 160, JSON.stringify(second));
      assert.ok(second.RATE_LIMITED >= 90, JSON.stringify(second));
      await Promise.all([one.close(), two.close()]);
    });

    await t.step("sustained flooding closes the socket with 4029", async () => {
      const { token } = await login();
      const pub = await WsClient.connect(ws, token);
      for (const f of publishFrames(channelName(), 600)) pub.send(f);
      const closed = await pub.closed;
      assert.equal(closed.code, 4029);
      assert.match(closed.reason, /flooding/);
      const counts = countCodes(
        pub.frames.filter((f): f is Reply => f.type === "ack" || f.type === "error"),
      );
      assert.ok(counts.RATE_LIMITED >= 150, JSON.stringify(counts));
    });

    await t.step(
      "connection caps: a 4th socket of a user and a 9th in total close with 4030",
      async () => {
        const users = await Promise.all([login(), login(), login()]);
        const open = async (token: string) => {
          const c = await WsClient.connect(ws, token);
          assert.equal((await c.request({ id: "p", type: "ping" })).type, "pong");
          return c;
        };
        const held: WsClient[] = [];
        for (let i = 0; i < 3; i++) held.push(await open(users[0].token));
        const fourth = await WsClient.connect(ws, users[0].token);
        assert.deepEqual(await fourth.closed, {
          code: 4030,
          reason: "too many connections for this user",
        });
        for (let i = 0; i < 3; i++) held.push(await open(users[1].token));
        for (let i = 0; i < 2; i++) held.push(await open(users[2].token));
        const ninth = await WsClient.connect(ws, users[2].token);
        assert.deepEqual(await ninth.closed, {
          code: 4030,
          reason: "server connection limit reached",
        });
        // A closed socket frees its place.
        await held.pop()!.close();
        await new Promise((r) => setTimeout(r, 200));
        held.push(await open(users[2].token));
        await Promise.all(held.map((c) => c.close()));
      },
    );

    await t.step("metrics: connections, publishes by result, latency histograms", async () => {
      const text = await (await fetch(`${system.producerUrl}/metrics`)).text();
      assert.match(text, /^rtm_connections\{service="producer"\} \d+$/m);
      for (const result of ["ok", "duplicate", "RATE_LIMITED", "TOO_LARGE", "FORBIDDEN"]) {
        assert.match(text, new RegExp(`^rtm_publishes_total\\{result="${result}".*\\} [1-9]`, "m"));
      }
      assert.match(text, /^rtm_publish_latency_seconds_count\{.*\} [1-9]/m);
      assert.match(text, /^rtm_publish_latency_seconds_bucket\{le="0.01"/m);
      assert.match(text, /^rtm_jetstream_ack_latency_seconds_count\{.*\} [1-9]/m);
    });

    await t.step("logs are JSON lines carrying the connection id", () => {
      const lines = system.producer.logs().split("\n").filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l));
      const opened = lines.filter((l) => l.msg === "socket opened");
      assert.ok(opened.length > 10);
      assert.ok(opened.every((l) => /^[0-9a-f-]{36}$/.test(l.conn) && l.user));
      const flood = lines.find((l) => l.msg === "closing flooding socket");
      assert.ok(flood, "the flood close is logged");
      assert.ok(lines.some((l) => l.msg === "socket closed" && l.conn === flood.conn));
    });
  } finally {
    await system.stop();
  }
});
