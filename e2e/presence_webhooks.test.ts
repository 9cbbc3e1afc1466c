import assert from "node:assert/strict";
import { freePort, registerAndLogin } from "../shared/testing/infra.ts";
import { eventually } from "../shared/testing/eventually.ts";
import { startDistributed, wsUrl } from "../shared/testing/system.ts";
import { WsClient } from "../shared/testing/ws_client.ts";
import { webhookKey } from "../shared/webhooks/signature.ts";
import { startWebhookOutage, webhookSecret } from "../shared/testing/webhook_outage.ts";
import { WebhookReceiver as Receiver } from "../shared/testing/webhook_receiver.ts";

Deno.test("presence webhooks: presence.joined/left and user.online/offline, signed, once each across two consumer instances", async () => {
  const secret = webhookSecret();
  const app = new Receiver(freePort(), webhookKey(secret));
  app.start();
  const system = await startDistributed({
    consumers: 2,
    env: { WEBHOOK_URLS: app.url, WEBHOOK_SECRET: secret, WEBHOOK_TIMEOUT_MS: "2000" },
  });
  const [c0, c1] = system.consumerUrls;
  const sockets: WsClient[] = [];
  try {
    const alice = await registerAndLogin(system.authUrl);
    const bob = await registerAndLogin(system.authUrl);
    const room = `room-${crypto.randomUUID().slice(0, 8)}`;
    const join = async (base: string, token: string) => {
      const ws = await WsClient.connect(wsUrl(base), token);
      sockets.push(ws);
      const reply = await ws.request({ id: "s", type: "subscribe", channel: room });
      assert.equal(reply.type, "subscribed");
      return ws;
    };
    /** Presence events received, as `type user [channel]`, in arrival order (subscribing to a
     * public channel joins it: its membership events come too, tested elsewhere). */
    const seen = () =>
      app.events.filter((e) => !e.type.startsWith("channel.")).map((e) =>
        [e.type, e.data.userId === alice.userId ? "alice" : "bob", e.data.channel ?? ""].join(" ")
          .trim()
      );

    // Each joins the room on a different instance: both instances see both transitions.
    await join(c0, alice.token);
    await eventually("alice online", () => seen().includes(`user.online alice`));
    const bobWs = await join(c1, bob.token);
    // Bob leaves (his only socket closes); then Alice, whose events come last in the one
    // ordered event queue: once hers are in, every earlier event is in too.
    await eventually("bob joined", () => seen().includes(`presence.joined bob ${room}`));
    await bobWs.close();
    await eventually("bob offline", () => seen().includes("user.offline bob"));
    await sockets[0].close();
    await eventually("alice offline", () => seen().includes("user.offline alice"));
    await eventually("alice left", () => seen().includes(`presence.left alice ${room}`));

    const expected = [
      "user.online alice",
      `presence.joined alice ${room}`,
      "user.online bob",
      `presence.joined bob ${room}`,
      "user.offline bob",
      `presence.left bob ${room}`,
      "user.offline alice",
      `presence.left alice ${room}`,
    ];
    assert.deepEqual([...seen()].sort(), [...expected].sort(), "each transition exactly once");
    // Per subject, in the order it happened.
    for (const subject of ["alice", "bob"]) {
      const mine = seen().filter((s) => s.split(" ")[1] === subject);
      assert.ok(mine.indexOf(`user.online ${subject}`) < mine.indexOf(`user.offline ${subject}`));
    }
    assert.equal(app.badSignatures, 0);
    for (const e of app.events) {
      assert.match(e.id, /^evt_\d+$/);
      assert.ok(Date.parse(String(e.data.at)) > 0);
    }
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await system.stop();
    await app.stop();
  }
});

Deno.test("presence webhooks: a user going offline while NATS is down waits in the outbox and arrives once it is back", async () => {
  const { app, nats, system, sql, stop } = await startWebhookOutage();
  try {
    const alice = await registerAndLogin(system.authUrl);
    const ws = await WsClient.connect(wsUrl(system.consumerUrls[0]), alice.token);
    // A socket counts from its first frame on.
    assert.equal((await ws.request({ id: "p", type: "ping" })).type, "pong");
    const told = (type: string) =>
      app.events.some((e) => e.type === type && e.data.userId === alice.userId);
    await eventually("alice online", () => told("user.online"));

    await nats.stop();
    await ws.close();
    // Recorded by the flip of her presence row; kept (through the relay's failing tries).
    const pending = async () =>
      (await sql<{ n: number }[]>`
        select count(*)::int as n from event_outbox
        where type = 'user.offline' and user_id = ${alice.userId}`)[0].n;
    await eventually("the offline event in the outbox", async () => await pending() === 1);
    assert.equal(told("user.offline"), false);
    await nats.restart();

    await eventually("alice offline", () => told("user.offline"));
    await eventually("the outbox emptied", async () => await pending() === 0);
    const hers = app.events.filter((e) => e.data.userId === alice.userId).map((e) => e.type);
    assert.deepEqual(hers.filter((t) => t.startsWith("user.")), ["user.online", "user.offline"]);
  } finally {
    await stop();
  }
});
