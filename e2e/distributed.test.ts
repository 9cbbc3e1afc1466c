import assert from "node:assert/strict";
import postgres from "postgres";
import type { ErrorFrame } from "../shared/protocol/frames.ts";
import { registerAndLogin } from "../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../shared/testing/system.ts";
import { WsClient } from "../shared/testing/ws_client.ts";
import { publishAndReceive } from "./flow.ts";

Deno.test("distributed mode: 100 messages through real NATS JetStream and PostgreSQL", async (t) => {
  const system = await startDistributed();
  try {
    await t.step("100 acked, delivered once each in seq order, 100 rows", async () => {
      const { channel } = await publishAndReceive({
        auth: system.authUrl,
        producerWs: wsUrl(system.producerUrl),
        consumerWs: wsUrl(system.consumerUrls[0]),
      }, 100);
      const sql = postgres(system.databaseUrl, { max: 1 });
      const [{ count, max }] = await sql`
        select count(*)::int as count, max(seq)::int as max from messages where channel_id = ${channel}`;
      await sql.end();
      assert.equal(count, 100);
      assert.equal(max, 100);
    });

    await t.step("an upgrade without a token is refused with 401", async () => {
      const res = await fetch(`${system.producerUrl}/v1/ws`, {
        headers: { upgrade: "websocket", connection: "upgrade" },
      });
      assert.equal(res.status, 401);
      assert.equal((await res.json()).error.code, "UNAUTHENTICATED");
    });

    await t.step("a non-JSON frame gets an error frame and the socket stays open", async () => {
      const { token } = await registerAndLogin(system.authUrl);
      const pub = await WsClient.connect(wsUrl(system.producerUrl), token);
      pub.send("this is not json");
      const err = await pub.next<ErrorFrame>((f) => f.type === "error");
      assert.equal(err.code, "INVALID");
      const pong = await pub.request({ id: 7, type: "ping" });
      assert.equal(pong.type, "pong");
      await pub.close();
    });

    await t.step("every service answers /health, /ready, /metrics and OpenAPI", async () => {
      for (const base of [system.authUrl, system.producerUrl, system.consumerUrls[0]]) {
        assert.equal((await (await fetch(`${base}/health`)).json()).status, "ok");
        const ready = await fetch(`${base}/ready`);
        assert.equal(ready.status, 200);
        assert.ok(Object.values((await ready.json()).checks).every((v) => v === "up"));
        const metrics = await (await fetch(`${base}/metrics`)).text();
        assert.match(metrics, /process_resident_memory_bytes/);
        const spec = await (await fetch(`${base}/v1/openapi.json`)).json();
        assert.equal(spec.openapi, "3.1.0");
        const swagger = await fetch(`${base}/v1/swagger/index.html`);
        assert.equal(swagger.status, 200);
        await swagger.body?.cancel();
      }
    });
  } finally {
    await system.stop();
  }
});
