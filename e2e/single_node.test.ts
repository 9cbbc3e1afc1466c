import assert from "node:assert/strict";
import { freePort, spawnService } from "../shared/testing/infra.ts";
import { publishAndReceive } from "./flow.ts";

Deno.test("single-node mode: embedded PostgreSQL and in-process broker, one process", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "rtm-single-" });
  const [auth, producer, consumer] = [freePort(), freePort(), freePort()];
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    AUTH_HTTP_PORT: String(auth),
    AUTH_GRPC_PORT: String(freePort()),
    PRODUCER_PORT: String(producer),
    CONSUMER_PORT: String(consumer),
    LOG_LEVEL: "warn",
  };
  // The single-node default must not pick up a real deployment's URLs.
  for (const name of ["DATABASE_URL", "NATS_URL"]) env[name] = "";
  const node = await spawnService(
    "standalone/main.ts",
    env,
    `http://127.0.0.1:${consumer}/health`,
    consumer,
    60_000,
  );
  try {
    await publishAndReceive({
      auth: `http://127.0.0.1:${auth}`,
      producerWs: `ws://127.0.0.1:${producer}/v1/ws`,
      consumerWs: `ws://127.0.0.1:${consumer}/v1/ws`,
    }, 100);
    const ready = await (await fetch(`http://127.0.0.1:${producer}/ready`)).json();
    assert.equal(ready.status, "ready");
  } finally {
    assert.equal(await node.stop("SIGTERM"), 0, node.logs());
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
