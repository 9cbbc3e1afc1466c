import assert from "node:assert/strict";
import { applyEvent, type MessageEvent, type ShownMessage } from "../sdk/mod.ts";

const ADA = crypto.randomUUID();
const BOB = crypto.randomUUID();
const message: ShownMessage = {
  channel: "c",
  seq: 1,
  id: crypto.randomUUID(),
  clientMsgId: "m1",
  sender: ADA,
  body: "hello",
  sentAt: "2026-01-01T00:00:00.000Z",
};
let seq = 1;
const event = (sender: string, kind: MessageEvent["kind"], body: string): MessageEvent => ({
  ...message,
  seq: ++seq,
  clientMsgId: `e${seq}`,
  sender,
  body,
  sentAt: `2026-01-01T00:00:0${seq}.000Z`,
  kind,
  target: 1,
});

Deno.test("applyEvent: the author's edit shows with its time; another's is ignored", () => {
  const edited = applyEvent(message, event(ADA, "edit", "hello, all"));
  assert.deepEqual([edited.body, edited.editedAt], ["hello, all", "2026-01-01T00:00:02.000Z"]);
  assert.equal(applyEvent(edited, event(BOB, "edit", "hijacked")), edited);
});

Deno.test("applyEvent: reactions count once per user and emoji, and go when taken back", () => {
  let m = applyEvent(message, event(BOB, "react", "👍"));
  m = applyEvent(m, event(BOB, "react", "👍"));
  m = applyEvent(m, event(ADA, "react", "👍"));
  m = applyEvent(m, event(ADA, "react", "🎉"));
  assert.deepEqual(m.reactions, [
    { emoji: "👍", count: 2, users: [BOB, ADA] },
    { emoji: "🎉", count: 1, users: [ADA] },
  ]);
  m = applyEvent(m, event(ADA, "unreact", "🎉"));
  m = applyEvent(m, event(BOB, "unreact", "👍"));
  assert.deepEqual(m.reactions, [{ emoji: "👍", count: 1, users: [ADA] }]);
  assert.equal(applyEvent(m, event(ADA, "unreact", "👍")).reactions, undefined);
});

Deno.test("applyEvent: a tombstone has no text or reactions and takes nothing more", () => {
  const reacted = applyEvent(message, event(BOB, "react", "👍"));
  const gone = applyEvent(reacted, event(ADA, "delete", ""));
  assert.deepEqual([gone.body, gone.deleted, gone.reactions], ["", true, undefined]);
  assert.equal(applyEvent(gone, event(ADA, "edit", "back")), gone);
  assert.equal(applyEvent(gone, event(BOB, "react", "👍")), gone);
});
