import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { grpcFails } from "../auth/test/harness.ts";
import { PgApiKeys } from "../shared/apikeys/pg_api_keys.ts";
import { connectPostgres } from "../shared/db/postgres.ts";
import { SYSTEM_USER_ID } from "../shared/domain/system_user.ts";
import { loadServerApi } from "../shared/grpc/server_api.ts";
import type { ErrorFrame, SubscribedFrame } from "../shared/protocol/frames.ts";
import { registerAndLogin } from "../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../shared/testing/system.ts";
import { WsClient } from "../shared/testing/ws_client.ts";
import { eventually } from "../shared/testing/eventually.ts";

type Call = <T = Record<string, unknown>>(
  method: string,
  request: Record<string, unknown>,
  key?: string,
) => Promise<T>;

/** A ServerApi stub on `port` whose calls carry `Authorization: ApiKey <key>` metadata. */
function serverApi(port: number): { call: Call; close(): void } {
  const ServerApi = loadServerApi();
  const client = new ServerApi(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call: Call = (method, request, key) => {
    const metadata = new grpc.Metadata();
    if (key) metadata.set("authorization", `ApiKey ${key}`);
    return new Promise((resolve, reject) =>
      // deno-lint-ignore no-explicit-any
      (client as any)[method](request, metadata, (err: Error | null, res: unknown) =>
        err ? reject(err) : resolve(res as never))
    );
  };
  return { call, close: () => client.close() };
}

Deno.test("server API over gRPC: the producer publishes, a consumer serves the rest", async (t) => {
  const system = await startDistributed();
  const sql = connectPostgres(system.databaseUrl, { max: 2 });
  const keys = new PgApiKeys(sql);
  const producer = serverApi(system.producerGrpcPort);
  const consumer = serverApi(system.consumerGrpcPorts[0]);
  const sockets: WsClient[] = [];
  try {
    const admin = (await keys.create("admin", ["publish", "read", "moderate"])).key;
    const reader = (await keys.create("reader", ["read"])).key;
    const alice = await registerAndLogin(system.authUrl);
    const room = `grpc-${crypto.randomUUID().slice(0, 8)}`;

    await t.step(
      "keys: missing or wrong UNAUTHENTICATED, out of scope PERMISSION_DENIED",
      async () => {
        const publish = { channel: room, body: "x" };
        for (const key of [undefined, `${admin}x`]) {
          const err = await grpcFails(
            producer.call("Publish", publish, key),
            grpc.status.UNAUTHENTICATED,
          );
          assert.deepEqual(err.metadata.get("error-code"), ["UNAUTHENTICATED"]);
        }
        await grpcFails(producer.call("Publish", publish, reader), grpc.status.PERMISSION_DENIED);
        await grpcFails(
          consumer.call("DisconnectUser", { user_id: alice.userId }, reader),
          grpc.status.PERMISSION_DENIED,
        );
        // Each host serves its part; the other's calls are UNIMPLEMENTED there.
        await grpcFails(consumer.call("Publish", publish, admin), grpc.status.UNIMPLEMENTED);
        await grpcFails(
          producer.call("GetChannel", { channel: room }, admin),
          grpc.status.UNIMPLEMENTED,
        );
      },
    );

    await t.step(
      "CreateChannel, AddMember, GetChannel; bad input is INVALID_ARGUMENT",
      async () => {
        const created = await consumer.call("CreateChannel", { id: room, kind: "private" }, admin);
        assert.deepEqual(created, {
          id: room,
          kind: "private",
          last_seq: 0,
          members: [],
          member_count: 0,
          online: [],
        });
        await grpcFails(
          consumer.call("CreateChannel", { id: room, kind: "private" }, admin),
          grpc.status.ALREADY_EXISTS,
        );
        const bad = await grpcFails(
          consumer.call("CreateChannel", { id: "a.b", kind: "private" }, admin),
          grpc.status.INVALID_ARGUMENT,
        );
        assert.match(bad.details, /^id: channel must match/);
        assert.deepEqual(
          await consumer.call("AddMember", { channel: room, user_id: alice.userId }, admin),
          { added: true },
        );
        const info = await consumer.call<{ members: unknown[] }>(
          "GetChannel",
          { channel: room },
          reader,
        );
        assert.deepEqual(info.members, [
          { user_id: SYSTEM_USER_ID, role: "owner" },
          { user_id: alice.userId, role: "member" },
        ]);
        await grpcFails(
          consumer.call("GetChannel", { channel: `${room}-none` }, reader),
          grpc.status.NOT_FOUND,
        );
      },
    );

    await t.step("Publish (idempotent) and Broadcast; GetHistory pages them", async () => {
      const first = await producer.call("Publish", {
        channel: room,
        body: "one",
        client_msg_id: "g-1",
        sender: alice.userId,
      }, admin);
      assert.deepEqual(
        await producer.call("Publish", {
          channel: room,
          body: "one",
          client_msg_id: "g-1",
          sender: alice.userId,
        }, admin),
        first,
      );
      const broadcast = await producer.call<{ receipts: { channel: string }[] }>("Broadcast", {
        channels: [room, `${room}-x`],
        body: "two",
        client_msg_id: "g-2",
      }, admin);
      assert.deepEqual(broadcast.receipts.map((r) => r.channel), [room, `${room}-x`]);

      let page = await consumer.call<
        { messages: { seq: number; body: string }[]; last_seq: number }
      >(
        "GetHistory",
        { channel: room },
        reader,
      );
      await eventually("both messages stored", async () => {
        page = await consumer.call("GetHistory", { channel: room }, reader);
        return page.last_seq === 2;
      });
      assert.deepEqual(page.messages.map((m) => [m.seq, m.body]), [[1, "one"], [2, "two"]]);
      const newest = await consumer.call<typeof page>(
        "GetHistory",
        { channel: room, limit: 1 },
        reader,
      );
      assert.deepEqual(newest.messages.map((m) => m.seq), [2]);
      const afterZero = await consumer.call<typeof page>(
        "GetHistory",
        { channel: room, after: 0, limit: 1 },
        reader,
      );
      assert.deepEqual(afterZero.messages.map((m) => m.seq), [1], "after: 0 is the oldest page");

      // History is the current state: alice edits the message published in her name.
      const edit = await fetch(`${system.producerUrl}/v1/channels/${room}/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json" },
        body: JSON.stringify({ clientMsgId: "g-3", kind: "edit", target: 1, body: "one, edited" }),
      });
      assert.equal(edit.status, 202, await edit.text());
      type Shown = { seq: number; body: string; edited_at: string; deleted: boolean };
      let current: Shown[] = [];
      await eventually("the edit stored", async () => {
        current =
          (await consumer.call<{ messages: Shown[] }>("GetHistory", { channel: room }, reader))
            .messages;
        return current[0].edited_at !== "";
      });
      assert.deepEqual(current.map((m) => [m.seq, m.body, m.deleted]), [
        [1, "one, edited", false],
        [2, "two", false],
      ]);
    });

    await t.step("GetPresence, UnsubscribeUser, DisconnectUser, RemoveMember", async () => {
      const ws = await WsClient.connect(wsUrl(system.consumerUrls[0]), alice.token);
      sockets.push(ws);
      const subscribed = await ws.request<SubscribedFrame>({
        id: 1,
        type: "subscribe",
        channel: room,
      });
      assert.equal(subscribed.type, "subscribed");
      let presence = await consumer.call<{ online: string[] }>(
        "GetPresence",
        { channel: room },
        reader,
      );
      await eventually("alice online", async () => {
        presence = await consumer.call("GetPresence", { channel: room }, reader);
        return presence.online.length > 0;
      });
      assert.deepEqual(presence, { channel: room, online: [alice.userId] });

      await consumer.call("UnsubscribeUser", { user_id: alice.userId, channel: room }, admin);
      const ended = await ws.next<ErrorFrame>((f) => f.type === "error");
      assert.equal(ended.channel, room);

      await consumer.call("DisconnectUser", { user_id: alice.userId }, admin);
      assert.deepEqual(await ws.closed, { code: 4010, reason: "disconnected by the application" });

      assert.deepEqual(
        await consumer.call("RemoveMember", { channel: room, user_id: alice.userId }, admin),
        {},
      );
      await grpcFails(
        consumer.call("RemoveMember", { channel: room, user_id: alice.userId }, admin),
        grpc.status.NOT_FOUND,
      );
    });
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    producer.close();
    consumer.close();
    await sql.end();
    await system.stop();
  }
});
