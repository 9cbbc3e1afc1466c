import assert from "node:assert/strict";
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
    assert.match(await anonymousConnect(server.port), /Authorization Violation/);
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

/**
 * What the server answers a client without credentials, spoken raw: nats.js's own refused
 * connection can leave a socket error behind that no promise catches (ECONNRESET, now and then).
 */
async function anonymousConnect(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode('CONNECT {"verbose":false}\r\nPING\r\n'));
    let text = "";
    const buf = new Uint8Array(4096);
    const deadline = Date.now() + 5_000;
    while (!/-ERR|PONG/.test(text) && Date.now() < deadline) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text;
  } finally {
    conn.close();
  }
}
