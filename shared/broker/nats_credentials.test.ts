import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { z } from "zod";
import { parseEnv } from "../config/env.ts";
import { createLogger } from "../logging/logger.ts";
import { startNatsServer } from "../testing/nats_server.ts";
import { brokerConfigFrom, brokerEnv } from "./config.ts";
import { NatsBroker } from "./nats.ts";

// docker-compose.yml's NATS requires a user per service; nats.js ignores credentials in the URL.
Deno.test("NATS_USER and NATS_PASSWORD reach a server that requires credentials", async () => {
  const server = await startNatsServer({ args: ["--user", "producer", "--pass", "s3cret"] });
  try {
    await assert.rejects(connect({ servers: server.url, reconnect: false }), /Authorization/);
    const vars = parseEnv(z.object(brokerEnv), {
      NATS_URL: server.url,
      NATS_USER: "producer",
      NATS_PASSWORD: "s3cret",
    });
    const broker = await NatsBroker.connect({
      ...brokerConfigFrom(vars),
      name: "credentials-test",
      logger: createLogger({ service: "test" }),
    });
    assert.ok(broker.healthy());
    await broker.close();
  } finally {
    await server.stop();
    await Deno.remove(server.storeDir, { recursive: true });
  }
});
