import assert from "node:assert/strict";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { eventually } from "../../shared/testing/eventually.ts";
import { startDistributed } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import type { ServerFrame, UserPresenceFrame } from "../../shared/protocol/frames.ts";
import { api, openKnownSocket } from "./support.ts";

const aboutUser = (id: string, online: boolean) => (f: ServerFrame) =>
  f.type === "user_presence" && f.users.some((u) => u.id === id && u.online === online);

Deno.test("user presence: online across two consumer instances, last seen kept, pushed to DM partners, refused to strangers; renames to co-members", async (t) => {
  // A short presence TTL: a restarted instance settles the users left online within it.
  const system = await startDistributed({ consumers: 2, env: { PRESENCE_TTL_MS: "3000" } });
  const [c0, c1] = system.consumerUrls;
  const alice = await registerAndLogin(system.authUrl);
  const bob = await registerAndLogin(system.authUrl);
  const mallory = await registerAndLogin(system.authUrl);
  const sockets: WsClient[] = [];
  const open = (base: string, token: string) => openKnownSocket(sockets, base, token);
  const read = (base: string, token: string, ids: string[]) =>
    api(base, token, "GET", `/v1/presence/users?ids=${ids.join(",")}`);
  try {
    const dm = await api(c0, alice.token, "POST", `/v1/dm/${bob.userId}`, {});
    assert.equal(dm.status, 200);
    const aliceWatching = await open(c0, alice.token);
    let malloryWs: WsClient | undefined;

    await t.step(
      "online while a socket is open on any instance; both instances say so",
      async () => {
        const bobThere = await open(c1, bob.token);
        // Pushed to Alice (her DM partner) on the other instance.
        const pushed = await aliceWatching.next<UserPresenceFrame>(aboutUser(bob.userId, true));
        assert.deepEqual(pushed.users.find((u) => u.id === bob.userId), {
          id: bob.userId,
          online: true,
        });
        for (const base of [c0, c1]) {
          await eventually(`bob online on ${base}`, async () => {
            const res = await read(base, alice.token, [bob.userId]);
            return res.status === 200 && res.body.users[0].online === true;
          });
        }
        // A second socket elsewhere, then the first closes: still online, nothing pushed.
        const bobHere = await open(c0, bob.token);
        await bobThere.close();
        sockets.splice(sockets.indexOf(bobThere), 1);
        await assert.rejects(aliceWatching.next(aboutUser(bob.userId, false), 1_500));
        assert.equal((await read(c1, alice.token, [bob.userId])).body.users[0].online, true);

        // The last socket closes: offline everywhere, with a last seen kept in PostgreSQL.
        const before = Date.now();
        await bobHere.close();
        sockets.splice(sockets.indexOf(bobHere), 1);
        const gone = await aliceWatching.next<UserPresenceFrame>(aboutUser(bob.userId, false));
        const lastSeen = gone.users.find((u) => u.id === bob.userId)!.lastSeen!;
        assert.ok(Date.parse(lastSeen) >= before - 1_000, lastSeen);
        for (const base of [c0, c1]) {
          await eventually(`bob offline on ${base}`, async () => {
            const { body } = await read(base, alice.token, [bob.userId]);
            return body.users[0].online === false && body.users[0].lastSeen !== null;
          });
        }
        const { body } = await read(c1, alice.token, [bob.userId, alice.userId]);
        // Each instance pushes the moment it saw; the one that recorded it saw nearly the same.
        assert.ok(Math.abs(Date.parse(body.users[0].lastSeen) - Date.parse(lastSeen)) < 2_000);
        assert.deepEqual(body.users[1], { id: alice.userId, online: true, lastSeen: null });
      },
    );

    await t.step("a stranger's presence is refused, alone or among related users", async () => {
      malloryWs = await open(c1, mallory.token);
      for (const ids of [[mallory.userId], [bob.userId, mallory.userId]]) {
        const res = await read(c0, alice.token, ids);
        assert.equal(res.status, 403, JSON.stringify(res.body));
        assert.equal(res.body.error.code, "FORBIDDEN");
      }
      assert.equal((await read(c0, mallory.token, [alice.userId])).status, 403);
      // Bounds are checked before any query: too many ids, or not ids at all.
      const many = Array.from({ length: 101 }, () => crypto.randomUUID());
      assert.equal((await read(c0, alice.token, many)).status, 400);
      assert.equal((await read(c0, alice.token, ["nope"])).status, 400);
      assert.equal(
        (await api(c0, undefined, "GET", `/v1/presence/users?ids=${bob.userId}`)).status,
        401,
      );
      // Nor is Mallory's coming and going pushed to Alice, who shares nothing with her.
      assert.equal(aliceWatching.frames.filter(aboutUser(mallory.userId, true)).length, 0);
    });

    await t.step("subscribing to a public channel lists it among yours at once", async () => {
      const town = `town-${crypto.randomUUID().slice(0, 8)}`;
      assert.equal(
        (await api(c0, alice.token, "POST", "/v1/channels", { id: town, kind: "public" })).status,
        201,
      );
      const bobWs = await open(c1, bob.token);
      assert.equal(
        (await bobWs.request({ id: "s", type: "subscribe", channel: town })).type,
        "subscribed",
      );
      await bobWs.next((f) => f.type === "membership" && f.channel === town);
      const mine = await api(c0, bob.token, "GET", "/v1/channels");
      const listed = mine.body.channels.find((c: { id: string }) => c.id === town);
      assert.equal(listed?.role, "member");
      // Now Alice and Bob share a channel: Bob may see Alice's presence.
      assert.equal((await read(c1, bob.token, [alice.userId])).status, 200);
    });

    await t.step(
      "a rename reaches the open sockets of those who share a channel, no one else",
      async () => {
        const bobWs = await open(c0, bob.token);
        const res = await fetch(`${system.authUrl}/v1/users/me`, {
          method: "PATCH",
          headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json" },
          body: JSON.stringify({ displayName: "Ada King" }),
        });
        assert.equal(res.status, 200, await res.text());
        const renamed = (f: ServerFrame) => f.type === "profile" && f.id === alice.userId;
        assert.deepEqual(await bobWs.next(renamed), {
          type: "profile",
          id: alice.userId,
          displayName: "Ada King",
        });
        // Her own other socket too; Mallory, who shares nothing with her, hears nothing.
        await aliceWatching.next(renamed);
        await assert.rejects(malloryWs!.next(renamed, 1_000));
      },
    );

    await t.step("a burst of presence requests is rate limited before any query", async () => {
      const replies = await Promise.all(
        Array.from({ length: 80 }, () => read(c1, mallory.token, [mallory.userId])),
      );
      const limited = replies.filter((r) => r.status === 429);
      assert.ok(limited.length >= 10, `${limited.length} limited`);
      for (const r of limited) assert.equal(r.body.error.code, "RATE_LIMITED");
    });

    await t.step(
      "the whole cluster killed with Alice online: a restarted one settles her offline",
      async () => {
        const killedAt = Date.now();
        for (const c of system.consumers) await c.stop("SIGKILL");
        const fresh = await system.startConsumer();
        const base = `http://127.0.0.1:${fresh.port}`;
        await eventually("alice settled offline", async () => {
          const { body } = await read(base, bob.token, [alice.userId]);
          return body.users?.[0].online === false && body.users[0].lastSeen !== null;
        });
        const { body } = await read(base, bob.token, [alice.userId]);
        assert.ok(Date.parse(body.users[0].lastSeen) >= killedAt - 1_000, body.users[0].lastSeen);
      },
    );
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await system.stop();
  }
});
