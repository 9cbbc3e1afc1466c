import assert from "node:assert/strict";
import type { AckFrame, ErrorFrame } from "../../shared/protocol/frames.ts";
import { eventually } from "../../shared/testing/eventually.ts";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import { channelName, streamMessages } from "./support.ts";

/**
 * SIGTERM while a client publishes steadily: /ready turns 503 and new upgrades are refused during
 * the grace period while the open socket keeps working; then in-flight publishes finish, the socket
 * closes with 1001, the process exits 0, and every acked message is in the stream.
 */
Deno.test("producer: graceful drain on SIGTERM loses no acked message", async () => {
  const system = await startDistributed({
    consumers: 0,
    env: { DRAIN_GRACE_MS: "1500", LOG_LEVEL: "info" },
  });
  try {
    const { token } = await registerAndLogin(system.authUrl);
    const pub = await WsClient.connect(wsUrl(system.producerUrl), token);
    const channel = channelName();
    const acked = new Map<string, number>();
    const refused: string[] = [];
    let sigtermAt = Infinity;
    let ackedAfterSigterm = 0;
    pub.socket.addEventListener("message", (e) => {
      const f = JSON.parse(e.data) as AckFrame | ErrorFrame;
      if (f.type === "ack") {
        acked.set(f.clientMsgId, f.streamSeq);
        if (performance.now() > sigtermAt) ackedAfterSigterm++;
      } else if (f.type === "error") refused.push(f.code);
    });
    // A steady publisher at the default rate limit (50/s) until the socket closes.
    let i = 0;
    const publishing = (async () => {
      while (pub.socket.readyState === WebSocket.OPEN) {
        i++;
        pub.send({ id: i, type: "publish", channel, clientMsgId: `m-${i}`, body: `${i}` });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await eventually("20 publishes acked", () => acked.size >= 20, { everyMs: 10 });

    sigtermAt = performance.now();
    const exited = system.producer.stop("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    const ready = await fetch(`${system.producerUrl}/ready`);
    assert.equal(ready.status, 503);
    assert.equal((await ready.json()).draining, true);
    const upgrade = await fetch(`${system.producerUrl}/v1/ws`, {
      headers: {
        upgrade: "websocket",
        connection: "upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
        authorization: `Bearer ${token}`,
      },
    });
    assert.equal(upgrade.status, 503);
    assert.equal((await upgrade.json()).error.code, "UNAVAILABLE");

    const closed = await pub.closed;
    assert.equal(closed.code, 1001);
    assert.equal(await exited, 0);
    await publishing;
    assert.ok(ackedAfterSigterm > 20, `only ${ackedAfterSigterm} acks during the grace period`);
    assert.ok(refused.every((code) => code === "UNAVAILABLE"), refused.join());

    const stored = (await streamMessages(system.natsUrl, system.namespace))
      .filter((m) => m.message.channel === channel);
    const seqOf = new Map(stored.map((m) => [m.message.clientMsgId, m.seq]));
    assert.equal(seqOf.size, stored.length, "no duplicates");
    for (const [clientMsgId, seq] of acked) assert.equal(seqOf.get(clientMsgId), seq, clientMsgId);
    const logs = system.producer.logs();
    assert.match(logs, /"msg":"drained"/);
  } finally {
    await system.stop();
  }
});
