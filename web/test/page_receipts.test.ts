import assert from "node:assert/strict";
import { seenSeq, unreadAfterRead, unreadCount } from "../app/receipts.ts";
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

Deno.test("page: unread after another tab read counts messages, never seqs, and asks the server when it cannot tell", () => {
  // Listed with 2 unread up to seq 10; others' messages 12 and 15 arrived since (11, 13, 14 were
  // events, or one's own).
  const u = { listed: 2, listedUpTo: 10, live: [12, 15] };
  assert.equal(unreadCount(u), 4);
  assert.deepEqual(unreadAfterRead(u, 10), { listed: 0, listedUpTo: 10, live: [12, 15] });
  assert.deepEqual(unreadAfterRead(u, 13), { listed: 0, listedUpTo: 10, live: [15] });
  assert.equal(unreadCount(unreadAfterRead(u, 14)!), 1, "events after the marker are not unread");
  assert.equal(unreadCount(unreadAfterRead(u, 20)!), 0, "a marker ahead of what this tab has seen");
  assert.equal(unreadAfterRead(u, 7), undefined, "inside the listed stretch: only seqs are known");
  const none = { listed: 0, listedUpTo: 10, live: [12] };
  assert.deepEqual(unreadAfterRead(none, 7), { listed: 0, listedUpTo: 10, live: [12] });
});
