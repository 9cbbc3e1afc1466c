import assert from "node:assert/strict";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";

Deno.test("producer: a socket is closed with 4001 when its access token expires", async () => {
  const system = await startDistributed({
    consumers: 0,
    env: { ACCESS_TOKEN_TTL_SECONDS: "2" },
  });
  try {
    const { token } = await registerAndLogin(system.authUrl);
    const pub = await WsClient.connect(wsUrl(system.producerUrl), token);
    const opened = performance.now();
    const ack = await pub.request({
      id: 1,
      type: "publish",
      channel: "general",
      clientMsgId: "before-expiry",
      body: "hi",
    });
    assert.equal(ack.type, "ack");
    assert.deepEqual(await pub.closed, { code: 4001, reason: "token expired" });
    const lifetime = performance.now() - opened;
    assert.ok(lifetime < 3_000, `closed after ${lifetime} ms`);
  } finally {
    await system.stop();
  }
});
