import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer } from "../testing/nats_server.ts";
import { JetStreamPublisher, PublishRefused, PublishTimedOut } from "./jetstream_publisher.ts";

const data = new TextEncoder().encode("hello");

Deno.test("jetstream publisher: acks, dedupes by msg id, refuses what no stream takes, times out on a hung server", async () => {
  // A server of our own: the last step freezes it.
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "PUBTEST", subjects: ["pubtest.>"] });
    const publisher = new JetStreamPublisher(nc);

    const acks = await Promise.all(
      ["a", "b", "c"].map((id) => publisher.publish("pubtest.x", data, id, 2_000)),
    );
    assert.deepEqual(acks, [
      { seq: 1, duplicate: false },
      { seq: 2, duplicate: false },
      { seq: 3, duplicate: false },
    ]);
    assert.deepEqual(await publisher.publish("pubtest.y", data, "b", 2_000), {
      seq: 2,
      duplicate: true,
    });
    assert.equal((await jsm.streams.info("PUBTEST")).state.messages, 3);

    await assert.rejects(publisher.publish("nostream.x", data, "d", 2_000), PublishRefused);

    await server.freeze();
    const started = performance.now();
    await assert.rejects(publisher.publish("pubtest.x", data, "e", 300), PublishTimedOut);
    const took = performance.now() - started;
    assert.ok(took >= 300 && took < 1_000, `timed out after ${took} ms`);
  } finally {
    server.thaw();
    await nc.close();
    await server.stop();
  }
});
