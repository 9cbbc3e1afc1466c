import assert from "node:assert/strict";
import { PgApiKeys } from "../shared/apikeys/pg_api_keys.ts";
import { connectPostgres } from "../shared/db/postgres.ts";
import { SYSTEM_USER_ID } from "../shared/domain/system_user.ts";
import type { ErrorFrame, MessageFrame, SubscribedFrame } from "../shared/protocol/frames.ts";
import { registerAndLogin } from "../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../shared/testing/system.ts";
import { WsClient } from "../shared/testing/ws_client.ts";
import { eventually } from "../shared/testing/eventually.ts";

/** A server API call as a backend makes it. */
async function call(
  base: string,
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `ApiKey ${key}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

/** The value `read` gives once `ok` holds (within the deadline of `eventually`). */
async function polled<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean) {
  let value = await read();
  await eventually(what, async () => ok(value = await read()));
  return value;
}

async function subscribe(url: string, token: string, channel: string): Promise<WsClient> {
  const ws = await WsClient.connect(wsUrl(url), token);
  const reply = await ws.request<SubscribedFrame>({ id: channel, type: "subscribe", channel });
  assert.equal(reply.type, "subscribed", JSON.stringify(reply));
  return ws;
}

Deno.test("server API over HTTP: keys, publish, broadcast, history, channels, members, sockets", async (t) => {
  const system = await startDistributed({ consumers: 2 });
  const sql = connectPostgres(system.databaseUrl, { max: 2 });
  const keys = new PgApiKeys(sql);
  const producer = system.producerUrl;
  const [consumer0, consumer1] = system.consumerUrls;
  const sockets: WsClient[] = [];
  try {
    const admin = (await keys.create("admin", ["publish", "read", "moderate"])).key;
    const reader = (await keys.create("reader", ["read"])).key;
    const alice = await registerAndLogin(system.authUrl);
    const channel = `srv-${crypto.randomUUID().slice(0, 8)}`;

    await t.step(
      "a missing, wrong or revoked key is 401 alike; a key without the scope 403",
      async () => {
        const revoked = await keys.create("old", ["publish", "read", "moderate"]);
        await keys.revoke(revoked.record.id);
        const publish = { channel, body: "x" };
        for (const key of [undefined, `${admin}x`, revoked.key]) {
          for (
            const [base, method, path, body] of [
              [producer, "POST", "/v1/server/publish", publish],
              [consumer0, "GET", `/v1/server/channels/${channel}`, undefined],
              [consumer0, "POST", `/v1/server/users/${alice.userId}/disconnect`, undefined],
            ] as const
          ) {
            const res = await call(base, method, path, key, body);
            assert.equal(res.status, 401, `${path} with ${key}`);
            assert.deepEqual(res.json, {
              error: { code: "UNAUTHENTICATED", message: "missing, unknown or revoked API key" },
            });
          }
        }
        // Checked before the body: a refused caller learns nothing from validation either.
        assert.equal(
          (await call(producer, "POST", "/v1/server/publish", undefined, {})).status,
          401,
        );
        const denied = await call(producer, "POST", "/v1/server/publish", reader, publish);
        assert.equal(denied.status, 403);
        assert.equal((denied.json.error as { code: string }).code, "FORBIDDEN");
        const moderate = await call(consumer0, "POST", "/v1/server/channels", reader, {
          id: channel,
          kind: "public",
        });
        assert.equal(moderate.status, 403);
      },
    );

    await t.step(
      "publish as the system and on behalf of a user: acked, idempotent, delivered once",
      async () => {
        const sub = await subscribe(consumer0, alice.token, channel);
        sockets.push(sub);
        const first = await call(producer, "POST", "/v1/server/publish", admin, {
          channel,
          body: "from the system",
          clientMsgId: "sys-1",
        });
        assert.equal(first.status, 202, JSON.stringify(first.json));
        const retry = await call(producer, "POST", "/v1/server/publish", admin, {
          channel,
          body: "from the system",
          clientMsgId: "sys-1",
        });
        assert.deepEqual(retry.json, first.json, "a retry gets the same receipt");
        const onBehalf = await call(producer, "POST", "/v1/server/publish", admin, {
          channel,
          body: "said for alice",
          sender: alice.userId,
        });
        assert.equal(onBehalf.status, 202);
        const m1 = await sub.next<MessageFrame>((f) => f.type === "message");
        const m2 = await sub.next<MessageFrame>((f) => f.type === "message");
        assert.deepEqual([m1.seq, m1.sender, m1.body], [1, SYSTEM_USER_ID, "from the system"]);
        assert.deepEqual([m2.seq, m2.sender, m2.body], [2, alice.userId, "said for alice"]);
        await assert.rejects(sub.next((f) => f.type === "message", 500), "no duplicate");

        const stranger = await call(producer, "POST", "/v1/server/publish", admin, {
          channel,
          body: "x",
          sender: crypto.randomUUID(),
        });
        assert.equal(stranger.status, 404, "an unknown sender is refused, not dead-lettered");
        const invalid = await call(producer, "POST", "/v1/server/publish", admin, {
          channel: "no.dots",
          body: "x",
        });
        assert.equal(invalid.status, 400);
      },
    );

    await t.step(
      "broadcast to 100 channels, retried: stored once in each, delivered once",
      async () => {
        const channels = Array.from({ length: 100 }, (_, i) => `${channel}-b${i}`);
        const watched = await subscribe(consumer1, alice.token, channels[42]);
        sockets.push(watched);
        const request = { channels, body: "to everyone", clientMsgId: "bcast-1" };
        const first = await call(producer, "POST", "/v1/server/broadcast", admin, request);
        assert.equal(first.status, 202, JSON.stringify(first.json));
        const receipts = first.json.receipts as { channel: string; streamSeq: number }[];
        assert.deepEqual(receipts.map((r) => r.channel), channels);
        const retry = await call(producer, "POST", "/v1/server/broadcast", admin, request);
        assert.deepEqual(retry.json, first.json, "the retry stores nothing new");
        const stored = await polled(
          "100 channels stored",
          () =>
            sql<{ channel_id: string; n: number }[]>`
          select channel_id, count(*)::int as n from messages
          where client_msg_id = 'bcast-1' group by channel_id`,
          (rows) => rows.length === 100,
        );
        assert.equal(stored.length, 100);
        assert.ok(stored.every((r) => r.n === 1 && channels.includes(r.channel_id)));
        const got = await watched.next<MessageFrame>((f) => f.type === "message");
        assert.deepEqual([got.channel, got.seq, got.body], [channels[42], 1, "to everyone"]);
        await assert.rejects(watched.next((f) => f.type === "message", 500), "delivered once");
      },
    );

    await t.step("history pages as for users; presence and channel overview", async () => {
      const page = await call(
        consumer1,
        "GET",
        `/v1/server/channels/${channel}/messages?limit=1`,
        reader,
      );
      assert.equal(page.status, 200);
      assert.equal(page.json.lastSeq, 2);
      assert.deepEqual((page.json.messages as MessageFrame[]).map((m) => m.seq), [2]);
      const older = await call(
        consumer1,
        "GET",
        `/v1/server/channels/${channel}/messages?before=2`,
        reader,
      );
      assert.deepEqual((older.json.messages as MessageFrame[]).map((m) => m.body), [
        "from the system",
      ]);
      // alice subscribed on consumer 0; consumer 1 knows it through presence signals.
      const presence = await polled(
        "alice online on consumer 1",
        () => call(consumer1, "GET", `/v1/server/channels/${channel}/presence`, reader),
        (r) => (r.json.online as string[]).includes(alice.userId),
      );
      assert.deepEqual(presence.json, { channel, online: [alice.userId] });
      const overview = await call(consumer1, "GET", `/v1/server/channels/${channel}`, reader);
      assert.equal(overview.status, 200);
      assert.deepEqual(overview.json, {
        id: channel,
        kind: "public",
        lastSeq: 2,
        // Subscribing to a public channel joins it (listed in alice's channels at once).
        members: [{ userId: alice.userId, role: "member" }],
        memberCount: 1,
        online: [alice.userId],
      });
      const missing = await call(consumer1, "GET", `/v1/server/channels/${channel}-none`, reader);
      assert.equal(missing.status, 404);
    });

    await t.step(
      "create a private channel, add and remove members, unsubscribe a user",
      async () => {
        const room = `${channel}-room`;
        const created = await call(consumer0, "POST", "/v1/server/channels", admin, {
          id: room,
          kind: "private",
        });
        assert.deepEqual([created.status, created.json], [201, {
          id: room,
          kind: "private",
          lastSeq: 0,
        }]);
        const again = await call(consumer0, "POST", "/v1/server/channels", admin, {
          id: room,
          kind: "private",
        });
        assert.equal(again.status, 409);
        const add = await call(consumer0, "POST", `/v1/server/channels/${room}/members`, admin, {
          userId: alice.userId,
        });
        assert.deepEqual(add.json, { channel: room, userId: alice.userId, added: true });
        const overview = await call(consumer0, "GET", `/v1/server/channels/${room}`, admin);
        assert.deepEqual(overview.json.members, [
          { userId: SYSTEM_USER_ID, role: "owner" },
          { userId: alice.userId, role: "member" },
        ]);

        // alice follows the room on both instances; one unsubscribe ends both subscriptions.
        const subs = [
          await subscribe(consumer0, alice.token, room),
          await subscribe(consumer1, alice.token, room),
        ];
        sockets.push(...subs);
        const unsub = await call(
          consumer1,
          "POST",
          `/v1/server/users/${alice.userId}/unsubscribe`,
          admin,
          {
            channel: room,
          },
        );
        assert.deepEqual([unsub.status, unsub.json], [202, {
          userId: alice.userId,
          channel: room,
        }]);
        for (const ws of subs) {
          const ended = await ws.next<ErrorFrame>((f) => f.type === "error");
          assert.equal(ended.channel, room);
          assert.match(ended.message, /unsubscribed by the application/);
        }
        await call(producer, "POST", "/v1/server/publish", admin, { channel: room, body: "after" });
        for (const ws of subs) {
          await assert.rejects(ws.next((f) => f.type === "message", 500), "no longer subscribed");
        }

        const removed = await call(
          consumer0,
          "DELETE",
          `/v1/server/channels/${room}/members/${alice.userId}`,
          admin,
        );
        assert.equal(removed.status, 204);
        const gone = await call(
          consumer0,
          "DELETE",
          `/v1/server/channels/${room}/members/${alice.userId}`,
          admin,
        );
        assert.equal(gone.status, 404);
        const refused = await subs[0].request<ErrorFrame>({
          id: "again",
          type: "subscribe",
          channel: room,
        });
        assert.equal(refused.code, "FORBIDDEN", "no longer a member");
      },
    );

    await t.step(
      "disconnect closes the user's sockets on both consumers and the producer, 4010",
      async () => {
        const bob = await registerAndLogin(system.authUrl);
        const bobs = [
          await WsClient.connect(wsUrl(consumer0), bob.token),
          await WsClient.connect(wsUrl(consumer1), bob.token),
          await WsClient.connect(wsUrl(producer), bob.token),
        ];
        const bystander = await WsClient.connect(wsUrl(consumer1), alice.token);
        sockets.push(...bobs, bystander);
        const res = await call(
          consumer0,
          "POST",
          `/v1/server/users/${bob.userId}/disconnect`,
          admin,
        );
        assert.deepEqual([res.status, res.json], [202, { userId: bob.userId }]);
        for (const ws of bobs) {
          const closed = await Promise.race([
            ws.closed,
            new Promise((r) => setTimeout(() => r("still open"), 10_000)),
          ]);
          assert.deepEqual(closed, { code: 4010, reason: "disconnected by the application" });
        }
        const pong = await bystander.request({ id: "p", type: "ping" });
        assert.equal(pong.type, "pong", "other users stay connected");
      },
    );
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await sql.end();
    await system.stop();
  }
});
