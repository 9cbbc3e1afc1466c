import assert from "node:assert/strict";
import { SendBacklog } from "./send_backlog.ts";

Deno.test("send backlog: writes retire oldest first as the socket's bytes go out", () => {
  let buffered = 0;
  const backlog = new SendBacklog();
  for (const [size, frames] of [[100, 1], [200, 5], [300, 1]]) {
    buffered += size;
    backlog.queued(size, frames, buffered);
  }
  assert.equal(backlog.frames(buffered), 7);
  buffered -= 100; // the socket wrote the first write
  assert.equal(backlog.frames(buffered), 6);
  buffered -= 150; // half of the batch of 5: it is still queued
  assert.equal(backlog.frames(buffered), 6);
  buffered -= 50;
  assert.equal(backlog.frames(buffered), 1);
  buffered = 0;
  assert.equal(backlog.frames(buffered), 0);
  assert.equal(backlog["writes"], undefined, "an idle socket keeps no array");
});

Deno.test("send backlog: a write the socket took at once counts nothing", () => {
  const backlog = new SendBacklog();
  backlog.queued(0, 3, 0);
  assert.equal(backlog.frames(0), 0);
});

Deno.test("send backlog: stays compact over many writes", () => {
  let buffered = 0;
  const backlog = new SendBacklog();
  for (let i = 0; i < 50_000; i++) {
    buffered += 10;
    backlog.queued(10, 1, buffered);
    if (i % 3 === 0) buffered -= 10;
  }
  assert.ok(backlog["writes"]!.length <= 2 * 50_000);
  for (; buffered > 0; buffered -= 10) backlog.frames(buffered);
  assert.equal(backlog.frames(0), 0);
});
