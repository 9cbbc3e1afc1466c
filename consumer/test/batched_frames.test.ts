import assert from "node:assert/strict";
import type { MessageFrame } from "../../shared/protocol/frames.ts";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import { publishMany } from "./support.ts";

const MESSAGES = 40;

/** Subscribes from seq 0 and reads every message: the replay is a burst written in one turn. */
async function replay(url: string, token: string, channel: string, protocols: string[]) {
  const client = await WsClient.connect(url, token, protocols);
  const raw: string[] = [];
  client.socket.addEventListener("message", (e) => raw.push(e.data as string));
  await client.request({ id: "s", type: "subscribe", channel, since: 0 });
  const seqs: number[] = [];
  while (seqs.length < MESSAGES) {
    seqs.push((await client.next<MessageFrame>((f) => f.type === "message")).seq);
  }
  await client.close();
  return { protocol: client.socket.protocol, raw, seqs };
}

Deno.test("consumer: rtm.v2 batches a socket's frames; rtm.v1 gets one frame each", async () => {
  const system = await startDistributed({});
  try {
    const { token } = await registerAndLogin(system.authUrl);
    const channel = `batch-${crypto.randomUUID().slice(0, 8)}`;
    await publishMany(wsUrl(system.producerUrl), token, MESSAGES, () => channel);
    const url = wsUrl(system.consumerUrls[0]);
    const inOrder = Array.from({ length: MESSAGES }, (_, i) => i + 1);

    const v2 = await replay(url, token, channel, ["rtm.v2", "rtm.v1"]);
    assert.equal(v2.protocol, "rtm.v2");
    assert.deepEqual(v2.seqs, inOrder);
    assert.ok(
      v2.raw.length < MESSAGES,
      `${MESSAGES} messages came in ${v2.raw.length} WebSocket frames`,
    );
    assert.ok(v2.raw.some((d) => d.split("\n").length > 1));

    for (const protocols of [["rtm.v1"], []]) {
      const v1 = await replay(url, token, channel, protocols);
      assert.equal(v1.protocol, protocols[0] ?? "");
      assert.deepEqual(v1.seqs, inOrder);
      // Unchanged for rtm.v1 (and no subprotocol): every WebSocket frame is one JSON frame.
      for (const d of v1.raw) assert.equal(typeof JSON.parse(d), "object");
      assert.ok(v1.raw.length > MESSAGES, "the subscribed reply and one frame per message");
    }
  } finally {
    await system.stop();
  }
});
