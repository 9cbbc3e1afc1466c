import assert from "node:assert/strict";
import { eventually } from "../../shared/testing/eventually.ts";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { startNatsServer } from "../../shared/testing/nats_server.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import { channelName, type Reply, sendAll, streamMessages } from "./support.ts";

/**
 * JetStream stalled or gone: every publish is answered UNAVAILABLE within the 2 s timeout, never
 * left hanging; after recovery, retries with the same clientMsgId are acked, and the stream holds
 * every acked message exactly once, including publishes the client buffered during the stall.
 */
Deno.test("producer: NATS stalled or stopped → UNAVAILABLE in bounded time, then recovery", async (t) => {
  const nats = await startNatsServer();
  const system = await startDistributed({ natsUrl: nats.url, consumers: 0 });
  const channel = channelName();
  const acked = new Map<string, number>(); // clientMsgId → streamSeq
  let client: WsClient | undefined;
  let n = 0;
  const frame = (clientMsgId: string) => ({
    id: ++n,
    type: "publish",
    channel,
    clientMsgId,
    body: clientMsgId,
  });
  const publish = async (ids: string[]): Promise<Reply[]> => {
    const replies = await sendAll(client!, ids.map(frame), 10_000);
    for (const r of replies) if (r.type === "ack") acked.set(r.clientMsgId, r.streamSeq);
    return replies;
  };
  const ready = async () => {
    const res = await fetch(`${system.producerUrl}/ready`);
    return { status: res.status, body: await res.json() };
  };
  const batch = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

  try {
    const { token } = await registerAndLogin(system.authUrl);
    client = await WsClient.connect(wsUrl(system.producerUrl), token);

    await t.step("healthy: acked", async () => {
      const replies = await publish(batch("before", 20));
      assert.ok(replies.every((r) => r.type === "ack"));
    });

    await t.step(
      "stalled server: UNAVAILABLE within ~2 s, retry after thaw is deduplicated",
      async () => {
        await nats.freeze();
        const stalled = batch("stalled", 3);
        const started = performance.now();
        const replies = await publish(stalled);
        const elapsed = performance.now() - started;
        assert.deepEqual(replies.map((r) => r.type === "error" && r.code), [
          "UNAVAILABLE",
          "UNAVAILABLE",
          "UNAVAILABLE",
        ], JSON.stringify(replies));
        assert.ok(elapsed >= 1_500 && elapsed < 3_500, `answered after ${elapsed} ms`);
        nats.thaw();
        // The client library sends what it buffered during the stall: those may now be stored, and
        // the client's retry with the same clientMsgId must not add a second copy.
        await eventually("retry acked", async () => {
          const again = await publish(stalled);
          return again.every((r) => r.type === "ack");
        });
        // The buffered copies were stored on thaw: the retries were answered as duplicates.
        const metrics = await (await fetch(`${system.producerUrl}/metrics`)).text();
        assert.match(metrics, /^rtm_publishes_total\{result="duplicate".*\} 3$/m);
      },
    );

    await t.step("stopped server: UNAVAILABLE at once, /ready 503, HTTP 503", async () => {
      await nats.stop({ kill: true });
      await eventually("producer notices", async () => (await ready()).status === 503);
      const down = await ready();
      assert.equal(down.body.checks.nats, "down");
      const during = batch("during", 5);
      const started = performance.now();
      const replies = await publish(during);
      assert.ok(performance.now() - started < 2_500);
      assert.ok(replies.every((r) => r.type === "error" && r.code === "UNAVAILABLE"));
      const res = await fetch(`${system.producerUrl}/v1/channels/${channel}/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ clientMsgId: "http-during", body: "x" }),
      });
      assert.equal(res.status, 503);
      assert.equal((await res.json()).error.code, "UNAVAILABLE");
      assert.equal(client!.socket.readyState, WebSocket.OPEN);

      await nats.restart();
      await eventually("ready again", async () => (await ready()).status === 200);
      await eventually("retries acked", async () => {
        const again = await publish(during);
        return again.every((r) => r.type === "ack");
      });
      const after = await publish(batch("after", 20));
      assert.ok(after.every((r) => r.type === "ack"));
    });

    await t.step(
      "the stream holds every acked message exactly once, at its acked seq",
      async () => {
        const stored = (await streamMessages(nats.url, system.namespace))
          .filter((m) => m.message.channel === channel);
        const ids = stored.map((m) => m.message.clientMsgId);
        assert.equal(new Set(ids).size, ids.length, "no duplicates in the stream");
        assert.equal(acked.size, 20 + 3 + 5 + 20);
        for (const [clientMsgId, seq] of acked) {
          const m = stored.find((s) => s.message.clientMsgId === clientMsgId);
          assert.ok(m, `${clientMsgId} was acked but is not in the stream`);
          assert.equal(m.seq, seq);
        }
        assert.equal(stored.length, acked.size);
      },
    );
  } finally {
    await client?.close();
    await system.stop();
    await nats.stop();
    await Deno.remove(nats.storeDir, { recursive: true }).catch(() => {});
  }
});
