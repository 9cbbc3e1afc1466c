import assert from "node:assert/strict";
import { seenSeq, unreadAfterRead } from "../app/receipts.ts";
import type { Message } from "../sdk/mod.ts";

const message = (seq: number, sender: string): Message => ({
  channel: "dm-x",
  seq,
  id: crypto.randomUUID(),
  clientMsgId: `m-${seq}`,
  sender,
  body: `message ${seq}`,
  sentAt: new Date(0).toISOString(),
});

Deno.test("page: 'Seen' marks the newest message the peer read, only when it is one's own", () => {
  const messages = [message(1, "me"), message(2, "me"), message(3, "peer"), message(4, "me")];
  assert.equal(seenSeq(messages, 0, "me"), undefined, "nothing read");
  assert.equal(seenSeq(messages, 2, "me"), 2);
  assert.equal(seenSeq(messages, 3, "me"), undefined, "their reply says it already");
  assert.equal(seenSeq(messages, 4, "me"), 4);
  assert.equal(seenSeq(messages, 9, "me"), 4, "a marker past what is loaded");
  assert.equal(seenSeq(messages.slice(1), 1, "me"), undefined, "the read one is not loaded");
});

Deno.test("page: unread after another tab read never grows and never passes what follows the marker", () => {
  assert.equal(unreadAfterRead(5, 10, 10), 0);
  assert.equal(unreadAfterRead(5, 10, 7), 3);
  assert.equal(unreadAfterRead(2, 10, 7), 2, "own messages were never counted");
  assert.equal(unreadAfterRead(0, 10, 3), 0);
  assert.equal(unreadAfterRead(4, 10, 12), 0, "a marker ahead of what this tab has seen");
});
