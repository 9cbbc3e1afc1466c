import assert from "node:assert/strict";
import type { AckFrame, MessageFrame, SubscribedFrame } from "../shared/protocol/frames.ts";
import { registerAndLogin } from "../shared/testing/infra.ts";
import { WsClient } from "../shared/testing/ws_client.ts";

/**
 * The walking skeleton's contract, run against any deployment: a subscriber and a publisher,
 * `count` messages, every one acked, every one delivered once in seq order 1..count.
 */
export async function publishAndReceive(urls: {
  auth: string;
  producerWs: string;
  consumerWs: string;
}, count: number): Promise<{ channel: string; userId: string; token: string }> {
  const { token, userId } = await registerAndLogin(urls.auth);
  const channel = `e2e-${crypto.randomUUID().slice(0, 8)}`;
  const sub = await WsClient.connect(urls.consumerWs, token);
  const subscribed = await sub.request<SubscribedFrame>({ id: "s", type: "subscribe", channel });
  assert.equal(subscribed.type, "subscribed");
  assert.equal(subscribed.lastSeq, 0);

  const pub = await WsClient.connect(urls.producerWs, token);
  const ids = Array.from({ length: count }, () => crypto.randomUUID());
  ids.forEach((clientMsgId, i) =>
    pub.send({ id: i, type: "publish", channel, clientMsgId, body: `message ${i}` })
  );
  for (let i = 0; i < count; i++) {
    const ack = await pub.next<AckFrame>((f) => "id" in f && f.id === i);
    assert.equal(ack.type, "ack", JSON.stringify(ack));
    assert.equal(ack.clientMsgId, ids[i]);
  }
  const received: MessageFrame[] = [];
  for (let i = 0; i < count; i++) {
    received.push(await sub.next<MessageFrame>((f) => f.type === "message"));
  }
  assert.deepEqual(received.map((m) => m.seq), ids.map((_, i) => i + 1), "seq order 1..count");
  assert.equal(new Set(received.map((m) => m.clientMsgId)).size, count, "no duplicates");
  assert.deepEqual(new Set(received.map((m) => m.clientMsgId)), new Set(ids));
  assert.ok(received.every((m) => m.sender === userId && m.channel === channel));
  // Nothing more arrives: no duplicate deliveries trailing behind.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(sub.frames.filter((f) => f.type === "message").length, 0);
  await Promise.all([pub.close(), sub.close()]);
  return { channel, userId, token };
}
