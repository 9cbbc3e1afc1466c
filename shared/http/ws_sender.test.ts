import assert from "node:assert/strict";
import { SocketSender } from "./ws_sender.ts";

/** The part of a WebSocket a sender uses; writes stay buffered until `drain`. */
function fakeSocket() {
  const sent: string[] = [];
  return {
    sent,
    readyState: WebSocket.OPEN,
    bufferedAmount: 0,
    send(data: string) {
      sent.push(data);
      this.bufferedAmount += data.length;
    },
    drain() {
      this.bufferedAmount = 0;
    },
  };
}

const turnEnd = () => new Promise((r) => setTimeout(r, 0));
const limits = { maxBufferedBytes: 1_000_000, maxQueuedFrames: 100 };

Deno.test("sender: a turn's frames go out together at its end, as lines under rtm.v2", async () => {
  const socket = fakeSocket();
  const sender = new SocketSender(socket as unknown as WebSocket, true, limits, {
    slow: () => assert.fail("not slow"),
  });
  sender.send('{"n":1}');
  sender.send('{"n":2}');
  assert.deepEqual(socket.sent, [], "nothing written during the turn");
  await turnEnd();
  assert.deepEqual(socket.sent, ['{"n":1}\n{"n":2}']);
  sender.send('{"n":3}');
  await turnEnd();
  assert.deepEqual(socket.sent.slice(1), ['{"n":3}'], "a lone frame goes as it is");
});

Deno.test("sender: rtm.v1 writes each frame as a WebSocket frame of its own", async () => {
  const socket = fakeSocket();
  const sender = new SocketSender(socket as unknown as WebSocket, false, limits, {
    slow: () => assert.fail("not slow"),
  });
  for (let n = 1; n <= 3; n++) sender.send(`{"n":${n}}`);
  await turnEnd();
  assert.deepEqual(socket.sent, ['{"n":1}', '{"n":2}', '{"n":3}']);
});

Deno.test("sender: a large turn is split into batches of about 60,000 characters", async () => {
  const socket = fakeSocket();
  const sender = new SocketSender(socket as unknown as WebSocket, true, limits, {
    slow: () => assert.fail("not slow"),
  });
  const frame = JSON.stringify({ body: "x".repeat(9_980) });
  for (let i = 0; i < 13; i++) sender.send(frame);
  await turnEnd();
  assert.deepEqual(socket.sent.map((d) => d.split("\n").length), [6, 6, 1]);
  assert.ok(socket.sent.every((d) => d.length <= 60_000));
  assert.deepEqual(socket.sent.join("\n").split("\n"), Array(13).fill(frame), "all, in order");
});

Deno.test("sender: a peer still holding earlier turns' frames is cut off as slow", async () => {
  const socket = fakeSocket();
  let slow = 0;
  const sender = new SocketSender(
    socket as unknown as WebSocket,
    true,
    { maxBufferedBytes: 1_000_000, maxQueuedFrames: 3 },
    { slow: () => slow++ },
  );
  for (let i = 0; i < 4; i++) sender.send("{}");
  await turnEnd();
  assert.equal(slow, 0, "a burst of one turn is not held against the peer");
  sender.send("{}");
  await turnEnd();
  assert.equal(slow, 1, "4 frames from an earlier turn still queued, over the bound of 3");
  socket.drain();
  sender.send("{}");
  await turnEnd();
  assert.equal(slow, 1);
  assert.equal(await sender.writable(() => true), true);
});
