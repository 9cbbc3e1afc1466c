import assert from "node:assert/strict";
import { SendBacklog } from "./send_backlog.ts";

Deno.test("send backlog: frames retire oldest first as the socket's bytes go out", async () => {
  let buffered = 0;
  const backlog = new SendBacklog();
  for (const size of [100, 200, 300]) {
    buffered += size;
    backlog.queued(size, buffered);
  }
  assert.equal(backlog.frames(buffered), 3);
  // Sent this turn: a burst on its way out, not yet held against the peer.
  assert.equal(backlog.earlierFrames(buffered), 0);
  assert.equal(backlog.earlierBytes(buffered), 0);

  await new Promise((r) => setTimeout(r, 0)); // the next turn
  assert.equal(backlog.earlierFrames(buffered), 3);
  assert.equal(backlog.earlierBytes(buffered), 600);

  buffered -= 100; // the socket wrote the first frame
  assert.equal(backlog.frames(buffered), 2);
  buffered -= 200;
  assert.equal(backlog.frames(buffered), 1);
  assert.equal(backlog.earlierBytes(buffered), 300);

  buffered += 50;
  backlog.queued(50, buffered);
  assert.equal(backlog.frames(buffered), 2);
  assert.equal(backlog.earlierFrames(buffered), 1, "only the frame from an earlier turn counts");
  buffered = 0;
  assert.equal(backlog.frames(buffered), 0);
  await new Promise((r) => setTimeout(r, 0));
});

Deno.test("send backlog: stays compact over many frames", () => {
  let buffered = 0;
  const backlog = new SendBacklog();
  for (let i = 0; i < 50_000; i++) {
    buffered += 10;
    backlog.queued(10, buffered);
    buffered -= 10;
  }
  assert.equal(backlog.frames(buffered), 0);
  assert.ok(backlog["sizes"].length <= 2_048);
});
