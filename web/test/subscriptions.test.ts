import assert from "node:assert/strict";
import type { ServerFrame } from "../../shared/protocol/frames.ts";
import { RtmError } from "../sdk/mod.ts";
import { Subscriptions } from "../sdk/subscriptions.ts";
import { sleep } from "./support.ts";

type Sent = { id: string; type: string; channel: string; since?: number };

/** Subscriptions on an open socket whose frames the test writes and whose sends it reads. */
async function subscribed(channels: string[]) {
  const sent: Sent[] = [];
  const subs = new Subscriptions((f) => (sent.push(f as Sent), true), { initialMs: 1, maxMs: 2 });
  const errors: RtmError[] = [];
  const seqs = new Map(channels.map((c) => [c, [] as number[]]));
  const ready = channels.map((c) =>
    subs.subscribe(c, (m) => seqs.get(c)!.push(m.seq), {
      since: 0,
      onError: (e) => errors.push(e),
    })
  );
  for (const s of [...sent]) {
    subs.onFrame({ id: s.id, type: "subscribed", channel: s.channel, lastSeq: 0, recovered: true });
  }
  await Promise.all(ready);
  const message = (channel: string, seq: number): ServerFrame => ({
    type: "message",
    channel,
    seq,
    id: crypto.randomUUID(),
    clientMsgId: `m${seq}`,
    sender: "u",
    body: "b",
    sentAt: new Date().toISOString(),
  });
  return { subs, sent, errors, seqs, message };
}

Deno.test("SDK: a subscription the server ends is renewed alone, from its last seq", async () => {
  const { subs, sent, seqs, message } = await subscribed(["a", "b"]);
  for (const seq of [1, 2]) subs.onFrame(message("a", seq));
  subs.onFrame(message("b", 1));
  sent.length = 0;
  // PostgreSQL failed while "a" was being filled: the server dropped that subscription only.
  subs.onFrame({ type: "error", code: "UNAVAILABLE", channel: "a", message: "interrupted" });
  await sleep(20);
  assert.deepEqual(sent.map(({ type, channel, since }) => ({ type, channel, since })), [
    { type: "subscribe", channel: "a", since: 2 },
  ]);
  subs.onFrame({ id: sent[0].id, type: "subscribed", channel: "a", lastSeq: 3, recovered: true });
  subs.onFrame(message("a", 3));
  subs.onFrame(message("b", 2));
  assert.deepEqual(seqs.get("a"), [1, 2, 3]);
  assert.deepEqual(seqs.get("b"), [1, 2]);
  subs.close();
});

Deno.test("SDK: a revoked membership ends that subscription through onError", async () => {
  const { subs, sent, errors, seqs, message } = await subscribed(["a", "b"]);
  sent.length = 0;
  subs.onFrame({ type: "error", code: "FORBIDDEN", channel: "b", message: "no longer a member" });
  assert.deepEqual(errors.map((e) => e.code), ["FORBIDDEN"]);
  subs.onFrame(message("b", 1)); // ended: nothing more is delivered, nothing is resent
  subs.onFrame(message("a", 1));
  await sleep(20);
  assert.deepEqual(sent, []);
  assert.deepEqual(seqs.get("b"), []);
  assert.deepEqual(seqs.get("a"), [1]);
  subs.close();
});

Deno.test("SDK: a publish lets the next typing signal out early, never within the server's second", async () => {
  const { subs, sent } = await subscribed(["a", "b"]);
  sent.length = 0;
  assert.equal(subs.typing("a", 10_000), true);
  assert.equal(subs.typing("b", 10_000), true);
  assert.equal(subs.typing("a", 10_500), false, "throttled while typing");
  subs.published("a");
  assert.equal(subs.typing("a", 11_000), false, "the server takes one a second");
  assert.equal(subs.typing("a", 11_200), true, "sent soon after the publish, not 3 s later");
  assert.equal(subs.typing("a", 12_500), false, "then the usual repeat interval again");
  assert.equal(subs.typing("b", 11_200), false, "another channel's throttle is untouched");
  subs.published("a");
  subs.published("a");
  assert.equal(subs.typing("a", 12_300), false, "publishes in a row never undercut the gap");
  assert.equal(subs.typing("a", 12_400), true);
  assert.deepEqual(sent.map((f) => f.channel), ["a", "b", "a", "a"]);
  subs.close();
});
