import assert from "node:assert/strict";
import { Publisher } from "../sdk/publisher.ts";
import type { ServerFrame } from "../sdk/wire.ts";
import { eventually } from "../../shared/testing/eventually.ts";

type Sent = { id: string; channel: string; body: string };

/** A Publisher on a fake socket: what it sent, and a way to answer. */
function publisherOnFakeSocket() {
  const sent: Sent[] = [];
  const publisher = new Publisher((frame) => {
    sent.push(frame as Sent);
    return true;
  }, { backoff: { initialMs: 50, maxMs: 50 }, timeoutMs: 10_000, maxFrameBytes: 65_536 });
  const answer = (frame: ServerFrame) => publisher.onFrame(frame);
  const ack = (s: Sent, streamSeq: number) =>
    answer({ id: s.id, type: "ack", channel: s.channel, clientMsgId: s.id, streamSeq });
  return { publisher, sent, answer, ack };
}

Deno.test("SDK publisher: an edit answered UNAVAILABLE is retried on its own, and the messages after it go on", async () => {
  const { publisher, sent, answer, ack } = publisherOnFakeSocket();
  const edit = publisher.publish("a", "edited", {}, { kind: "edit", target: 1 });
  answer({ id: sent[0].id, type: "error", code: "UNAVAILABLE", message: "store away" });
  // A message made while the edit waits for its backoff goes at once, and is acked.
  const message = publisher.publish("a", "hello");
  assert.deepEqual(sent.map((s) => s.body), ["edited", "hello"]);
  ack(sent[1], 2);
  assert.equal((await message).streamSeq, 2);
  await eventually("the edit is sent again after its backoff", () => sent.length === 3);
  assert.equal(sent[2].id, sent[0].id, "same clientMsgId, so never stored twice");
  ack(sent[2], 3);
  assert.equal((await edit).streamSeq, 3);
  publisher.close();
});

Deno.test("SDK publisher: RATE_LIMITED holds every publish back until the named wait has passed", async () => {
  const { publisher, sent, answer, ack } = publisherOnFakeSocket();
  const first = publisher.publish("a", "one");
  const second = publisher.publish("a", "two");
  answer({
    id: sent[0].id,
    type: "error",
    code: "RATE_LIMITED",
    message: "slow",
    retryAfterMs: 80,
  });
  answer({
    id: sent[1].id,
    type: "error",
    code: "RATE_LIMITED",
    message: "slow",
    retryAfterMs: 80,
  });
  assert.equal(sent.length, 2, "nothing sent during the wait");
  await eventually("resent after the wait, the oldest first", () => sent.length === 3);
  assert.equal(sent[2].body, "one");
  ack(sent[2], 1);
  await eventually("then the next, in order", () => sent.length === 4);
  assert.equal(sent[3].body, "two");
  ack(sent[3], 2);
  assert.deepEqual([(await first).streamSeq, (await second).streamSeq], [1, 2]);
  publisher.close();
});
