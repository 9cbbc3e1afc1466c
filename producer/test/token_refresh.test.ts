import assert from "node:assert/strict";
import { expiresAt, login, registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

Deno.test("producer: an in-band token refresh keeps the socket open past the first token", async (t) => {
  // Eight-second tokens: without a refresh the socket closes with 4001 at the first expiry.
  const system = await startDistributed({
    consumers: 0,
    env: { ACCESS_TOKEN_TTL_SECONDS: "8" },
  });
  try {
    const alice = await registerAndLogin(system.authUrl);
    const publish = (client: WsClient, id: number) =>
      client.request({
        id,
        type: "publish",
        channel: "general",
        clientMsgId: `refresh-${id}`,
        body: "hi",
      });

    await t.step("same user: refreshed, and the socket outlives its first token", async () => {
      const pub = await WsClient.connect(wsUrl(system.producerUrl), alice.token);
      await sleep(3_000);
      const fresh = await login(system.authUrl, alice.email);
      const reply = await pub.request({ id: 1, type: "refresh", token: fresh.token });
      assert.equal(reply.type, "refreshed");
      const firstExpiry = expiresAt(alice.token);
      assert.ok(reply.type === "refreshed" && reply.expiresAt > firstExpiry);
      await sleep(firstExpiry * 1000 - Date.now() + 300); // the first token has expired by now
      assert.equal((await publish(pub, 2)).type, "ack");
      // It still closes, at the refreshed token's expiry.
      assert.deepEqual(await pub.closed, { code: 4001, reason: "token expired" });
    });

    await t.step("an invalid token is refused; the socket stays on its own", async () => {
      const pub = await WsClient.connect(
        wsUrl(system.producerUrl),
        (await login(system.authUrl, alice.email)).token,
      );
      const reply = await pub.request({ id: 1, type: "refresh", token: "not.a.token" });
      assert.equal(reply.type === "error" && reply.code, "UNAUTHENTICATED");
      assert.equal((await publish(pub, 2)).type, "ack");
      await pub.close();
    });

    await t.step("another user's token is refused and closes the socket", async () => {
      const pub = await WsClient.connect(
        wsUrl(system.producerUrl),
        (await login(system.authUrl, alice.email)).token,
      );
      const mallory = await registerAndLogin(system.authUrl);
      const reply = await pub.request({ id: 1, type: "refresh", token: mallory.token });
      assert.equal(reply.type === "error" && reply.code, "FORBIDDEN");
      assert.deepEqual(await pub.closed, { code: 4003, reason: "token is for another user" });
    });
  } finally {
    await system.stop();
  }
});
