import assert from "node:assert/strict";
import type {
  ErrorFrame,
  MessageFrame,
  PresenceFrame,
  SubscribedFrame,
} from "../../shared/protocol/frames.ts";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import { api, publishMany } from "./support.ts";

const PRESENCE_TTL_MS = 1_500;

Deno.test("consumer channels API, history, presence and bad input", async (t) => {
  const system = await startDistributed({
    consumers: 2,
    env: {
      PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
      RATE_PER_SECOND: "10000",
      RATE_BURST: "10000",
    },
  });
  const [c0, c1] = system.consumerUrls;
  const producerWs = wsUrl(system.producerUrl);
  const sockets: WsClient[] = [];
  const connect = async (base: string, token: string) => {
    const client = await WsClient.connect(wsUrl(base), token);
    sockets.push(client);
    return client;
  };
  const subscribe = (client: WsClient, channel: string, since?: number) =>
    client.request<SubscribedFrame | ErrorFrame>({
      id: crypto.randomUUID(),
      type: "subscribe",
      channel,
      ...(since !== undefined ? { since } : {}),
    });
  try {
    const [alice, bob, carol] = await Promise.all(
      [1, 2, 3].map(() => registerAndLogin(system.authUrl)),
    );

    await t.step("channels: create, owner-managed members, FORBIDDEN for non-members", async () => {
      const created = await api(c0, alice.token, "POST", "/v1/channels", {
        id: "team",
        kind: "private",
      });
      assert.equal(created.status, 201);
      assert.deepEqual(created.body, { id: "team", kind: "private", lastSeq: 0 });
      const again = await api(c1, bob.token, "POST", "/v1/channels", {
        id: "team",
        kind: "public",
      });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, "CONFLICT");

      const bobWs = await connect(c0, bob.token);
      assert.equal((await subscribe(bobWs, "team") as ErrorFrame).code, "FORBIDDEN");
      assert.equal((await api(c0, bob.token, "GET", "/v1/channels/team/messages")).status, 403);
      assert.equal((await api(c0, bob.token, "GET", "/v1/channels/team/presence")).status, 403);

      // Only the owner adds to a private channel.
      const self = await api(c0, bob.token, "POST", "/v1/channels/team/members", {
        userId: bob.userId,
      });
      assert.equal(self.status, 403);
      const byOther = await api(c0, carol.token, "POST", "/v1/channels/team/members", {
        userId: bob.userId,
      });
      assert.equal(byOther.status, 403);
      const added = await api(c0, alice.token, "POST", "/v1/channels/team/members", {
        userId: bob.userId,
      });
      assert.equal(added.status, 200);
      assert.deepEqual(added.body, { channel: "team", userId: bob.userId, added: true });
      const twice = await api(c0, alice.token, "POST", "/v1/channels/team/members", {
        userId: bob.userId,
      });
      assert.equal(twice.body.added, false);

      // A member just added is let in at once.
      assert.equal((await subscribe(bobWs, "team")).type, "subscribed");
      assert.equal((await api(c0, bob.token, "GET", "/v1/channels/team/messages")).status, 200);

      // The owner stays; members can be removed by the owner or leave themselves.
      const ownerOut = await api(
        c0,
        bob.token,
        "DELETE",
        `/v1/channels/team/members/${alice.userId}`,
      );
      assert.equal(ownerOut.status, 403);
      const removed = await api(
        c0,
        alice.token,
        "DELETE",
        `/v1/channels/team/members/${bob.userId}`,
      );
      assert.equal(removed.status, 204);
      const gone = await api(c0, alice.token, "DELETE", `/v1/channels/team/members/${bob.userId}`);
      assert.equal(gone.status, 404);
      // Revoked at once: bob's open subscription ends, and no instance lets him back in.
      const kicked = await bobWs.next<ErrorFrame>((f) => f.type === "error");
      assert.equal(kicked.code, "FORBIDDEN");
      assert.equal(kicked.channel, "team"); // no reply to a request: the channel says which
      assert.equal((await subscribe(bobWs, "team") as ErrorFrame).code, "FORBIDDEN");
      const bobElsewhere = await connect(c1, bob.token);
      assert.equal((await subscribe(bobElsewhere, "team") as ErrorFrame).code, "FORBIDDEN");

      // Public channels: anyone joins or leaves themselves; only the owner adds others.
      assert.equal(
        (await api(c0, alice.token, "POST", "/v1/channels", { id: "lobby", kind: "public" }))
          .status,
        201,
      );
      const join = await api(c1, carol.token, "POST", "/v1/channels/lobby/members", {
        userId: carol.userId,
      });
      assert.equal(join.status, 200);
      const addOther = await api(c1, carol.token, "POST", "/v1/channels/lobby/members", {
        userId: bob.userId,
      });
      assert.equal(addOther.status, 403);
      const leave = await api(
        c1,
        carol.token,
        "DELETE",
        `/v1/channels/lobby/members/${carol.userId}`,
      );
      assert.equal(leave.status, 204);
    });

    await t.step("channels: every bad input is INVALID/400 (or 401/403/404)", async () => {
      const cases: [string, string, unknown, number][] = [
        ["POST", "/v1/channels", { id: "a.b", kind: "public" }, 400],
        ["POST", "/v1/channels", { id: "x".repeat(65), kind: "public" }, 400],
        ["POST", "/v1/channels", { id: "ok", kind: "direct" }, 400],
        ["POST", "/v1/channels", { id: "dm-mine", kind: "public" }, 400],
        ["POST", "/v1/channels", { id: "ok" }, 400],
        ["POST", "/v1/channels", "{not json", 400],
        ["POST", "/v1/channels/team/members", { userId: "not-a-uuid" }, 400],
        ["POST", "/v1/channels/team/members", { userId: crypto.randomUUID() }, 404],
        // No such channel answers like a private one the caller is not in.
        ["POST", "/v1/channels/nowhere/members", { userId: bob.userId }, 403],
        ["DELETE", "/v1/channels/team/members/not-a-uuid", undefined, 400],
        ["POST", "/v1/dm/not-a-uuid", undefined, 400],
        ["POST", `/v1/dm/${crypto.randomUUID()}`, undefined, 404],
        ["POST", `/v1/dm/${alice.userId}`, undefined, 400],
      ];
      for (const [method, path, body, status] of cases) {
        const res = await api(c0, alice.token, method, path, body);
        assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)}`);
        assert.ok(res.body.error.code, "one error shape");
        if (status === 400) assert.equal(res.body.error.code, "INVALID");
      }
      assert.equal((await api(c0, undefined, "GET", "/v1/channels")).status, 401);
      assert.equal(
        (await api(c0, "garbage", "POST", "/v1/channels", { id: "z", kind: "public" })).status,
        401,
      );
    });

    let dm = "";
    await t.step("direct channels: idempotent, private to the two users", async () => {
      const opened = await api(c0, alice.token, "POST", `/v1/dm/${bob.userId}`);
      assert.equal(opened.status, 200);
      assert.equal(opened.body.kind, "direct");
      assert.equal(opened.body.created, true);
      dm = opened.body.id;
      assert.match(dm, /^dm-[A-Za-z0-9_-]+$/);
      const fromBob = await api(c1, bob.token, "POST", `/v1/dm/${alice.userId}`);
      assert.deepEqual(fromBob.body, { id: dm, kind: "direct", created: false });

      const carolWs = await connect(c1, carol.token);
      assert.equal((await subscribe(carolWs, dm) as ErrorFrame).code, "FORBIDDEN");
      assert.equal((await api(c1, carol.token, "GET", `/v1/channels/${dm}/messages`)).status, 403);
      // Nobody can squat a direct channel id by using it first.
      assert.equal((await subscribe(carolWs, "dm-squatted") as ErrorFrame).code, "FORBIDDEN");
      const addCarol = await api(c0, alice.token, "POST", `/v1/channels/${dm}/members`, {
        userId: carol.userId,
      });
      assert.equal(addCarol.status, 403);

      await publishMany(producerWs, alice.token, 3, () => dm);
      const bobWs = await connect(c1, bob.token);
      const sub = await subscribe(bobWs, dm, 0) as SubscribedFrame;
      assert.equal(sub.recovered, true);
      for (let seq = 1; seq <= 3; seq++) {
        const m = await bobWs.next<MessageFrame>((f) => f.type === "message");
        assert.equal(m.seq, seq);
        assert.equal(m.sender, alice.userId);
      }
    });

    await t.step("unread counts follow each member's read marker", async () => {
      const mine = await api(c0, bob.token, "GET", "/v1/channels");
      assert.equal(mine.status, 200);
      const direct = mine.body.channels.find((c: { id: string }) => c.id === dm);
      assert.deepEqual(direct, {
        id: dm,
        kind: "direct",
        role: "member",
        lastSeq: 3,
        lastReadSeq: 0,
        unread: 3,
        peer: alice.userId,
        peerLastReadSeq: 0,
      });
      assert.ok(!mine.body.channels.some((c: { id: string }) => c.id === "team"), "bob left team");

      const read = await api(c0, bob.token, "POST", `/v1/channels/${dm}/read`, { seq: 2 });
      assert.deepEqual(read.body, { channel: dm, lastReadSeq: 2, unread: 1 });
      const back = await api(c1, bob.token, "POST", `/v1/channels/${dm}/read`, { seq: 1 });
      assert.deepEqual(back.body, { channel: dm, lastReadSeq: 2, unread: 1 }, "never moves back");
      const after = await api(c1, bob.token, "GET", "/v1/channels");
      assert.equal(after.body.channels.find((c: { id: string }) => c.id === dm).unread, 1);
      // Alice's marker is her own.
      const hers = await api(c1, alice.token, "GET", "/v1/channels");
      assert.equal(hers.body.channels.find((c: { id: string }) => c.id === dm).unread, 3);
      // ...and she sees how far Bob read ("seen").
      assert.equal(hers.body.channels.find((c: { id: string }) => c.id === dm).peerLastReadSeq, 2);

      for (const bad of [{ seq: 4 }, { seq: -1 }, { seq: 1.5 }, { seq: "2" }, {}]) {
        const res = await api(c0, bob.token, "POST", `/v1/channels/${dm}/read`, bad);
        assert.equal(res.status, 400, JSON.stringify(bad));
      }
      assert.equal(
        (await api(c0, carol.token, "POST", `/v1/channels/${dm}/read`, { seq: 1 })).status,
        403,
      );
      // Reading a public channel makes it one of yours.
      await publishMany(producerWs, alice.token, 2, () => "lobby");
      const deadline = Date.now() + 10_000;
      while ((await api(c0, carol.token, "GET", "/v1/channels/lobby/messages")).body.lastSeq < 2) {
        assert.ok(Date.now() < deadline, "lobby messages stored");
        await new Promise((r) => setTimeout(r, 50));
      }
      await api(c0, carol.token, "POST", "/v1/channels/lobby/read", { seq: 1 });
      const carols = await api(c0, carol.token, "GET", "/v1/channels");
      const lobby = carols.body.channels.find((c: { id: string }) => c.id === "lobby");
      assert.equal(lobby.unread, 1);
      assert.equal(lobby.role, "member");
    });

    await t.step("history pages by seq, oldest first, limit ≤ 100", async () => {
      await publishMany(producerWs, alice.token, 250, () => "archive");
      const get = (query: string) =>
        api(c1, alice.token, "GET", `/v1/channels/archive/messages${query}`);
      const deadline = Date.now() + 15_000;
      while ((await get("?limit=1")).body.lastSeq < 250) {
        assert.ok(Date.now() < deadline, "250 stored");
        await new Promise((r) => setTimeout(r, 100));
      }
      const seqs = async (query: string) => {
        const res = await get(query);
        assert.equal(res.status, 200, query);
        assert.equal(res.body.lastSeq, 250);
        return res.body.messages.map((m: { seq: number }) => m.seq);
      };
      const range = (from: number, to: number) =>
        Array.from({ length: to - from + 1 }, (_, i) => from + i);
      assert.deepEqual(await seqs(""), range(201, 250), "default: the newest 50");
      assert.deepEqual(await seqs("?limit=100"), range(151, 250));
      assert.deepEqual(await seqs("?before=151&limit=100"), range(51, 150));
      assert.deepEqual(await seqs("?before=51&limit=100"), range(1, 50));
      assert.deepEqual(await seqs("?before=1"), []);
      assert.deepEqual(await seqs("?after=0&limit=100"), range(1, 100));
      assert.deepEqual(await seqs("?after=100&limit=100"), range(101, 200));
      assert.deepEqual(await seqs("?after=200&limit=100"), range(201, 250));
      assert.deepEqual(await seqs("?after=250"), []);
      assert.deepEqual(await seqs("?after=10&before=15"), range(11, 14));
      const page = await get("?after=0&limit=1");
      assert.equal(page.body.messages[0].sender, alice.userId);
      assert.equal(page.body.messages[0].channel, "archive");

      for (
        const bad of [
          "limit=0",
          "limit=101",
          "limit=-1",
          "limit=abc",
          "limit=1.5",
          "limit=1e400",
          "after=-1",
          "after=x",
          "after=1.5",
          "before=99999999999999999999",
          "after=5&before=5",
        ]
      ) {
        const res = await get(`?${bad}`);
        assert.equal(res.status, 400, bad);
        assert.equal(res.body.error.code, "INVALID");
      }
      assert.equal((await api(c1, undefined, "GET", "/v1/channels/archive/messages")).status, 401);
      assert.equal((await api(c1, alice.token, "GET", "/v1/channels/a.b/messages")).status, 400);
    });

    await t.step("subscribe: every bad frame gets INVALID and the socket stays open", async () => {
      const ws = await connect(c0, alice.token);
      const bad: Record<string, unknown>[] = [
        { since: -1 },
        { since: 1.5 },
        { since: "3" },
        { since: Number.MAX_SAFE_INTEGER + 2 },
        { since: 251 }, // ahead of the channel
        { channel: "a.b" },
        { channel: "" },
        { type: "subscrib" },
      ];
      for (const [i, fields] of bad.entries()) {
        const reply = await ws.request<ErrorFrame>({
          id: i,
          type: "subscribe",
          channel: "archive",
          ...fields,
        });
        assert.equal(reply.type, "error", JSON.stringify(fields));
        assert.equal(reply.code, "INVALID", JSON.stringify(fields));
      }
      // A producer frame is told where it belongs.
      const publish = await ws.request<ErrorFrame>({
        id: "pub",
        type: "publish",
        channel: "archive",
        clientMsgId: "m-1",
        body: "hi",
      });
      assert.equal(publish.code, "INVALID");
      assert.match(publish.message, /producer's WebSocket \(\/v1\/ws on the producer\)/);
      const ok = await subscribe(ws, "archive", 245) as SubscribedFrame;
      assert.deepEqual({ ...ok, id: 0 }, {
        id: 0,
        type: "subscribed",
        channel: "archive",
        lastSeq: 250,
        recovered: true,
      });
      for (let seq = 246; seq <= 250; seq++) {
        assert.equal((await ws.next<MessageFrame>((f) => f.type === "message")).seq, seq);
      }
      assert.equal((await ws.request({ id: "p", type: "ping" })).type, "pong");
      const unsub = await ws.request({ id: "u", type: "unsubscribe", channel: "archive" });
      assert.equal(unsub.type, "unsubscribed");
    });

    await t.step(
      "presence: joins and leaves across instances; a killed one's users leave",
      async () => {
        const presence = (client: WsClient) =>
          client.next<PresenceFrame>((f) => f.type === "presence" && f.channel === "lobby");
        const online = async (base: string) =>
          (await api(base, alice.token, "GET", "/v1/channels/lobby/presence")).body.online;
        // An instance hears of another's change over NATS a moment after that one knows it.
        const onlineSoon = async (base: string, expected: string[]) => {
          const deadline = Date.now() + 5_000;
          while (JSON.stringify(await online(base)) !== JSON.stringify(expected)) {
            assert.ok(Date.now() < deadline, `${base} online: ${await online(base)}`);
            await new Promise((r) => setTimeout(r, 20));
          }
        };

        const aliceWs = await connect(c0, alice.token);
        await subscribe(aliceWs, "lobby");
        assert.deepEqual(await presence(aliceWs), {
          type: "presence",
          channel: "lobby",
          joined: [alice.userId],
          left: [],
        });

        const bob1 = await connect(c1, bob.token);
        await subscribe(bob1, "lobby");
        assert.deepEqual(
          (await presence(aliceWs)).joined,
          [bob.userId],
          "bob's join crosses instances",
        );
        assert.deepEqual((await presence(bob1)).joined, [bob.userId]);
        const both = [alice.userId, bob.userId].sort();
        await onlineSoon(c0, both);
        await onlineSoon(c1, both);

        // A second socket of bob's is no news; only his last one leaving is.
        const bob2 = await connect(c0, bob.token);
        await subscribe(bob2, "lobby");
        await bob1.close();
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(aliceWs.frames.filter((f) => f.type === "presence").length, 0);
        await bob2.close();
        assert.deepEqual(await presence(aliceWs), {
          type: "presence",
          channel: "lobby",
          joined: [],
          left: [bob.userId],
        });
        await onlineSoon(c1, [alice.userId]);

        // Carol is online through the second instance, which then dies without a word.
        const carolWs = await connect(c1, carol.token);
        await subscribe(carolWs, "lobby");
        assert.deepEqual((await presence(aliceWs)).joined, [carol.userId]);
        const killedAt = Date.now();
        await system.consumers[1].stop("SIGKILL");
        system.consumers.splice(1, 1);
        const left = await presence(aliceWs);
        assert.deepEqual(left.left, [carol.userId]);
        const took = Date.now() - killedAt;
        assert.ok(took <= PRESENCE_TTL_MS * 2, `left after ${took} ms (TTL ${PRESENCE_TTL_MS})`);
        assert.deepEqual(await online(c0), [alice.userId]);
      },
    );
  } finally {
    for (const s of sockets) await s.close().catch(() => {});
    await system.stop();
  }
});
