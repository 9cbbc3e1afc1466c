import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { PgApiKeys } from "../../shared/apikeys/pg_api_keys.ts";
import { connectPostgres } from "../../shared/db/postgres.ts";
import { loadServerApi } from "../../shared/grpc/server_api.ts";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import type { MembershipFrame, ServerFrame } from "../../shared/protocol/frames.ts";
import { api, openKnownSocket } from "./support.ts";

const membership = (channel: string, change: "added" | "removed") => (f: ServerFrame) =>
  f.type === "membership" && f.channel === channel && f.change === change;

Deno.test("membership frames: a user's open sockets, on every instance, learn of DMs, additions and removals", async (t) => {
  const system = await startDistributed({ consumers: 2 });
  const [c0, c1] = system.consumerUrls;
  const alice = await registerAndLogin(system.authUrl);
  const bob = await registerAndLogin(system.authUrl);
  const sockets: WsClient[] = [];
  const open = (base: string, token: string) => openKnownSocket(sockets, base, token);
  try {
    const bobHere = await open(c0, bob.token);
    const bobThere = await open(c1, bob.token);
    const aliceThere = await open(c1, alice.token);

    await t.step("a DM opened with you reaches both your sockets; the opener's too", async () => {
      const dm = await api(c0, alice.token, "POST", `/v1/dm/${bob.userId}`, {});
      assert.equal(dm.status, 200);
      const frames = await Promise.all(
        [bobHere, bobThere, aliceThere].map((ws) => ws.next(membership(dm.body.id, "added"))),
      );
      for (const f of frames) {
        assert.deepEqual(f, { type: "membership", channel: dm.body.id, change: "added" });
      }
      // Opening it again changes nothing and says nothing.
      assert.equal((await api(c1, bob.token, "POST", `/v1/dm/${alice.userId}`, {})).status, 200);
      await assert.rejects(bobHere.next((f) => f.type === "membership", 500));
    });

    await t.step("added to a private channel, then removed", async () => {
      const team = `team-${crypto.randomUUID().slice(0, 8)}`;
      const created = await api(c0, alice.token, "POST", "/v1/channels", {
        id: team,
        kind: "private",
      });
      assert.equal(created.status, 201);
      const add = await api(c0, alice.token, "POST", `/v1/channels/${team}/members`, {
        userId: bob.userId,
      });
      assert.equal(add.status, 200);
      await bobThere.next(membership(team, "added"));
      await bobHere.next(membership(team, "added"));
      assert.equal(
        (await bobThere.request({ id: "s", type: "subscribe", channel: team })).type,
        "subscribed",
      );
      const removed = await api(
        c0,
        alice.token,
        "DELETE",
        `/v1/channels/${team}/members/${bob.userId}`,
      );
      assert.equal(removed.status, 204);
      const gone = await bobThere.next<MembershipFrame>(membership(team, "removed"));
      assert.equal(gone.channel, team);
      await bobHere.next(membership(team, "removed"));
      // The subscription ended too.
      const ended = await bobThere.next((f) => f.type === "error" && f.channel === team);
      assert.equal(ended.type === "error" && ended.code, "FORBIDDEN");
      // Alice was not told about Bob's membership.
      assert.equal(aliceThere.frames.filter((f) => f.type === "membership").length, 0);
    });

    await t.step("the server API's additions and removals, over HTTP and gRPC, alike", async () => {
      const sql = connectPostgres(system.databaseUrl, { max: 1 });
      const ServerApi = loadServerApi();
      const stub = new ServerApi(
        `127.0.0.1:${system.consumerGrpcPorts[1]}`,
        grpc.credentials.createInsecure(),
      );
      try {
        const key = (await new PgApiKeys(sql).create("backend", ["moderate"])).key;
        const server = (method: string, path: string, body?: unknown) =>
          fetch(`${c0}${path}`, {
            method,
            headers: { authorization: `ApiKey ${key}`, "content-type": "application/json" },
            body: body === undefined ? undefined : JSON.stringify(body),
          }).then(async (res) => (await res.body?.cancel(), res.status));
        const grpcCall = (method: string, request: Record<string, unknown>) => {
          const metadata = new grpc.Metadata();
          metadata.set("authorization", `ApiKey ${key}`);
          return new Promise((resolve, reject) =>
            // deno-lint-ignore no-explicit-any
            (stub as any)[method](request, metadata, (err: Error | null, res: unknown) =>
              err ? reject(err) : resolve(res))
          );
        };
        const room = `srv-${crypto.randomUUID().slice(0, 8)}`;
        assert.equal(
          await server("POST", "/v1/server/channels", { id: room, kind: "private" }),
          201,
        );

        assert.equal(
          await server("POST", `/v1/server/channels/${room}/members`, { userId: bob.userId }),
          200,
        );
        await bobHere.next(membership(room, "added"));
        await bobThere.next(membership(room, "added"));
        assert.equal(
          await server("DELETE", `/v1/server/channels/${room}/members/${bob.userId}`),
          204,
        );
        await bobHere.next(membership(room, "removed"));
        await bobThere.next(membership(room, "removed"));

        assert.deepEqual(await grpcCall("AddMember", { channel: room, user_id: bob.userId }), {
          added: true,
        });
        await bobHere.next(membership(room, "added"));
        await bobThere.next(membership(room, "added"));
        await grpcCall("RemoveMember", { channel: room, user_id: bob.userId });
        await bobHere.next(membership(room, "removed"));
        await bobThere.next(membership(room, "removed"));
        // An addition that changes nothing says nothing.
        await grpcCall("AddMember", { channel: room, user_id: bob.userId });
        await bobHere.next(membership(room, "added"));
        await grpcCall("AddMember", { channel: room, user_id: bob.userId });
        await assert.rejects(bobHere.next(membership(room, "added"), 500));
      } finally {
        stub.close();
        await sql.end();
      }
    });
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await system.stop();
  }
});
