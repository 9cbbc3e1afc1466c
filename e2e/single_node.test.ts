import assert from "node:assert/strict";
import type { AckFrame, MessageFrame, SubscribedFrame } from "../shared/protocol/frames.ts";
import { stopLeftoverServer } from "../shared/db/embedded.ts";
import { freePort, registerAndLogin, spawnService } from "../shared/testing/infra.ts";
import { WsClient } from "../shared/testing/ws_client.ts";
import { publishAndReceive } from "./flow.ts";

/** `deno task start`'s process on free ports with its state in `dataDir`. */
function startSingleNode(dataDir: string, extraEnv: Record<string, string> = {}) {
  const [auth, producer, consumer] = [freePort(), freePort(), freePort()];
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    AUTH_HTTP_PORT: String(auth),
    AUTH_GRPC_PORT: String(freePort()),
    PRODUCER_PORT: String(producer),
    CONSUMER_PORT: String(consumer),
    LOG_LEVEL: "warn",
    ...extraEnv,
  };
  // The single-node default must not pick up a real deployment's URLs.
  for (const name of ["DATABASE_URL", "NATS_URL"]) env[name] = "";
  return spawnService(
    "standalone/main.ts",
    env,
    `http://127.0.0.1:${consumer}/health`,
    consumer,
    60_000,
  ).then((process) => ({
    process,
    urls: {
      auth: `http://127.0.0.1:${auth}`,
      producer: `http://127.0.0.1:${producer}`,
      producerWs: `ws://127.0.0.1:${producer}/v1/ws`,
      consumerWs: `ws://127.0.0.1:${consumer}/v1/ws`,
    },
  }));
}

Deno.test("single-node mode: embedded PostgreSQL and in-process broker, one process", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "rtm-single-" });
  const { process: node, urls } = await startSingleNode(dataDir);
  try {
    await publishAndReceive(urls, 100);
    const ready = await (await fetch(`${urls.producer}/ready`)).json();
    assert.equal(ready.status, "ready");
  } finally {
    assert.equal(await node.stop("SIGTERM"), 0, node.logs());
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

Deno.test("single-node mode: acked messages survive SIGKILL, and a restart takes over", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "rtm-single-crash-" });
  try {
    await crashAndRestart(dataDir);
  } finally {
    // After a failure midway the killed node's PostgreSQL, which no process owns, would outlive us.
    await stopLeftoverServer(`${dataDir}/pg`);
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

/** Publishes, SIGKILLs the node right after the last ack, restarts it on the same data. */
async function crashAndRestart(dataDir: string): Promise<void> {
  const count = 300;
  const channel = "crash";
  const fast = { RATE_PER_SECOND: "10000", RATE_BURST: "10000" };
  const first = await startSingleNode(dataDir, fast);
  const { token } = await registerAndLogin(first.urls.auth);
  const ids = Array.from({ length: count }, () => crypto.randomUUID());
  try {
    const pub = await WsClient.connect(first.urls.producerWs, token);
    ids.forEach((clientMsgId, i) =>
      pub.send({ id: i, type: "publish", channel, clientMsgId, body: `m${i}` })
    );
    for (let i = 0; i < count; i++) {
      const ack = await pub.next<AckFrame>((f) => "id" in f && f.id === i);
      assert.equal(ack.type, "ack", JSON.stringify(ack));
    }
    // Killed outright the moment the last ack arrives: some acked messages may not be in
    // PostgreSQL yet, and PostgreSQL itself is left running without its owner.
    await first.process.stop("SIGKILL");
  } catch (err) {
    await first.process.stop("SIGKILL");
    throw err;
  }

  const second = await startSingleNode(dataDir);
  try {
    // The signing key lives in DATA_DIR too: the token from before the crash is still good.
    const sub = await WsClient.connect(second.urls.consumerWs, token);
    const subscribed = await sub.request<SubscribedFrame>({
      id: "s",
      type: "subscribe",
      channel,
      since: 0,
    });
    assert.equal(subscribed.type, "subscribed", JSON.stringify(subscribed));
    const received: MessageFrame[] = [];
    for (let i = 0; i < count; i++) {
      received.push(await sub.next<MessageFrame>((f) => f.type === "message", 20_000));
    }
    assert.deepEqual(received.map((m) => m.seq), ids.map((_, i) => i + 1));
    assert.deepEqual(new Set(received.map((m) => m.clientMsgId)), new Set(ids));
    await sub.close();
  } finally {
    assert.equal(await second.process.stop("SIGTERM"), 0, second.process.logs());
  }
}
