import assert from "node:assert/strict";
import { SseCursor } from "../internal/adapters/inbound/sse/cursor.ts";
import { SseStream } from "../internal/adapters/inbound/sse/stream.ts";
import { SseTickets, TICKET_TTL_MS } from "../internal/adapters/inbound/sse/tickets.ts";
import { AppError } from "../../shared/errors.ts";

const principal = { userId: "u1", issuedAt: 0, expiresAt: Math.floor(Date.now() / 1000) + 3600 };
const message = (seq: number) => ({
  type: "message" as const,
  channel: "a",
  seq,
  id: crypto.randomUUID(),
  clientMsgId: `m${seq}`,
  sender: "u1",
  body: "x".repeat(200),
  sentAt: new Date().toISOString(),
});

Deno.test("SSE stream: a reader that takes nothing is cut off past the buffer limit", async () => {
  let cut = 0;
  let ended = 0;
  const stream = new SseStream(principal, SseCursor.empty(), new Map(), {
    maxBufferedBytes: 2_000,
    slowConsumer: () => cut++,
    ended: () => ended++,
  });
  let sent = 0;
  while (stream.send(message(sent + 1))) sent++;
  assert.ok(sent >= 5 && sent < 10, `${sent} frames queued before the cut`);
  assert.equal(cut, 1);
  assert.equal(ended, 1);
  assert.equal(stream.open, false);
  assert.equal(await stream.writable(), false);
  await assert.rejects(stream.body.getReader().read());
});

Deno.test("SSE stream: writable waits until the reader took half the buffer", async () => {
  const stream = new SseStream(principal, SseCursor.empty(), new Map(), {
    maxBufferedBytes: 2_000,
    slowConsumer: () => {},
    ended: () => {},
  });
  for (let seq = 1; seq <= 5; seq++) assert.ok(stream.send(message(seq)));
  let ready = false;
  const waiting = stream.writable().then((ok) => ready = ok);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(ready, false);
  const reader = stream.body.getReader();
  const text = new TextDecoder();
  const first = text.decode((await reader.read()).value);
  assert.match(first, /^id: a:1\ndata: \{"type":"message","channel":"a","seq":1,/);
  for (let i = 0; i < 4; i++) await reader.read();
  await waiting;
  assert.equal(ready, true);
  stream.close();
});

Deno.test("SSE cursor: every channel's position, the event's first; anything else is INVALID", () => {
  const cursor = SseCursor.parse("a:3,b-2:7");
  assert.equal(cursor.seqOf("b-2"), 7);
  assert.equal(cursor.advance("b-2", 8), "b-2:8,a:3");
  for (const bad of ["", "a", "a:", ":3", "a:-1", "a:1.5", "a b:1", "a:1,,b:2"]) {
    assert.throws(() => SseCursor.parse(bad), (e) => e instanceof AppError && e.code === "INVALID");
  }
});

Deno.test("SSE tickets: single use, short-lived, never past the token's expiry", () => {
  const tickets = new SseTickets();
  const now = Date.now();
  const { ticket, expiresAtMs } = tickets.issue(principal, now);
  assert.equal(expiresAtMs, now + TICKET_TTL_MS);
  assert.deepEqual(tickets.redeem(ticket, now), principal);
  assert.throws(
    () => tickets.redeem(ticket, now),
    (e) => e instanceof AppError && e.code === "UNAUTHENTICATED",
  );
  const late = tickets.issue(principal, now).ticket;
  assert.throws(() => tickets.redeem(late, now + TICKET_TTL_MS));
  const shortToken = { userId: "u2", issuedAt: 0, expiresAt: Math.floor(now / 1000) + 5 };
  assert.ok(tickets.issue(shortToken, now).expiresAtMs <= shortToken.expiresAt * 1000);
});
