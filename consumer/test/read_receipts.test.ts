import assert from "node:assert/strict";
import { eventually } from "../../shared/testing/eventually.ts";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import type { ServerFrame } from "../../shared/protocol/frames.ts";
import { SEEN_MAX_MEMBERS } from "../internal/domain/services/read_receipts.ts";
import { api } from "./support.ts";

const receipt = (channel: string, user: string, seq?: number) => (f: ServerFrame) =>
  f.type === "receipt" && f.channel === channel && f.user === user &&
  (seq === undefined || f.seq === seq);

Deno.test("read receipts: the reader's other sessions on every instance, and the few others of a DM or small private channel", async (t) => {
  const system = await startDistributed({ consumers: 2 });
  const [c0, c1] = system.consumerUrls;
  const alice = await registerAndLogin(system.authUrl);
  const bob = await registerAndLogin(system.authUrl);
  const carol = await registerAndLogin(system.authUrl);
  const tag = crypto.randomUUID().slice(0, 6);
  const sockets: WsClient[] = [];
  const open = async (base: string, token: string, channels: string[] = []) => {
    const ws = await WsClient.connect(wsUrl(base), token);
    sockets.push(ws);
    for (const channel of channels) {
      const reply = await ws.request({ id: `s-${channel}`, type: "subscribe", channel });
      assert.equal(reply.type, "subscribed", JSON.stringify(reply));
    }
    assert.equal((await ws.request({ id: "p", type: "ping" })).type, "pong");
    return ws;
  };
  let sent = 0;
  const publish = async (token: string, channel: string, count: number) => {
    for (let i = 0; i < count; i++) {
      const res = await api(system.producerUrl, token, "POST", `/v1/channels/${channel}/messages`, {
        clientMsgId: `m-${sent++}`,
        body: `hello ${i}`,
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
    }
    await eventually(`${channel} stored`, async () => {
      const page = await api(c0, token, "GET", `/v1/channels/${channel}/messages`);
      return page.status === 200 && page.body.lastSeq >= count;
    }, { everyMs: 200 });
  };
  const markRead = async (token: string, channel: string, seq: number) => {
    const res = await api(c0, token, "POST", `/v1/channels/${channel}/read`, { seq });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  const create = async (id: string, kind: "public" | "private", members: string[]) => {
    assert.equal((await api(c0, alice.token, "POST", "/v1/channels", { id, kind })).status, 201);
    for (const userId of members) {
      const add = await api(c0, alice.token, "POST", `/v1/channels/${id}/members`, { userId });
      assert.equal(add.status, 200);
    }
  };

  try {
    const dm = (await api(c0, alice.token, "POST", `/v1/dm/${bob.userId}`, {})).body.id as string;
    const town = `town-${tag}`;
    const trio = `trio-${tag}`;
    const crowd = `crowd-${tag}`;
    await create(town, "public", [bob.userId]);
    await create(trio, "private", [bob.userId, carol.userId]);
    const extras = await Promise.all(
      Array.from({ length: SEEN_MAX_MEMBERS - 1 }, () => registerAndLogin(system.authUrl)),
    );
    await create(crowd, "private", [bob.userId, ...extras.map((u) => u.userId)]);
    await publish(bob.token, dm, 2);
    for (const channel of [town, trio, crowd]) await publish(alice.token, channel, 2);

    // Alice's second session is on the other instance and subscribes to nothing.
    const aliceThere = await open(c1, alice.token);
    const bobThere = await open(c1, bob.token, [dm, town, trio, crowd]);
    const carolHere = await open(c0, carol.token);

    await t.step("in a DM: the reader's other session and the other member see it", async () => {
      await markRead(alice.token, dm, 2);
      const mine = await aliceThere.next(receipt(dm, alice.userId));
      assert.deepEqual(mine, { type: "receipt", channel: dm, user: alice.userId, seq: 2 });
      assert.deepEqual(await bobThere.next(receipt(dm, alice.userId)), mine);
    });

    await t.step("a public channel's and a large private channel's stay the reader's", async () => {
      await markRead(alice.token, town, 2);
      await markRead(alice.token, crowd, 2);
      await aliceThere.next(receipt(town, alice.userId, 2));
      await aliceThere.next(receipt(crowd, alice.userId, 2));
      // Receipts travel in order: once a later one is here, the earlier ones would be too.
      await markRead(alice.token, dm, 1);
      await bobThere.next(receipt(dm, alice.userId, 2));
      assert.equal(bobThere.frames.filter((f) => f.type === "receipt").length, 0);
    });

    await t.step("a small private channel: subscribed members only", async () => {
      await markRead(alice.token, trio, 1);
      assert.equal((await bobThere.next(receipt(trio, alice.userId))).type, "receipt");
      // Carol is a member, but her socket does not subscribe to the channel.
      await markRead(alice.token, dm, 2);
      await aliceThere.next(receipt(dm, alice.userId, 2));
      await bobThere.next(receipt(dm, alice.userId, 2));
      assert.equal(carolHere.frames.filter((f) => f.type === "receipt").length, 0);
    });

    await t.step("a removed member hears no more", async () => {
      const removed = await api(
        c0,
        alice.token,
        "DELETE",
        `/v1/channels/${trio}/members/${bob.userId}`,
      );
      assert.equal(removed.status, 204);
      await bobThere.next((f) =>
        f.type === "error" && f.channel === trio && f.code === "FORBIDDEN"
      );
      await markRead(alice.token, trio, 2);
      await aliceThere.next(receipt(trio, alice.userId, 2));
      await markRead(alice.token, dm, 2);
      await bobThere.next(receipt(dm, alice.userId, 2));
      assert.equal(bobThere.frames.filter((f) => f.type === "receipt").length, 0);
    });

    await t.step("the reader's own socket on the same instance hears it too", async () => {
      const aliceHere = await open(c0, alice.token);
      await markRead(alice.token, town, 1);
      assert.deepEqual(await aliceHere.next(receipt(town, alice.userId)), {
        type: "receipt",
        channel: town,
        user: alice.userId,
        seq: 2, // the marker never moves back
      });
    });
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await system.stop();
  }
});
