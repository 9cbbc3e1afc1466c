import assert from "node:assert/strict";
import type { MessageFrame } from "../../shared/protocol/frames.ts";
import { expiresAt, login, registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

Deno.test("consumer: an in-band token refresh keeps the socket and its subscriptions", async () => {
  const system = await startDistributed({ env: { ACCESS_TOKEN_TTL_SECONDS: "8" } });
  try {
    const user = await registerAndLogin(system.authUrl);
    const channel = `refresh-${crypto.randomUUID().slice(0, 8)}`;
    const sub = await WsClient.connect(wsUrl(system.consumerUrls[0]), user.token, ["rtm.v2"]);
    const subscribed = await sub.request({ id: 1, type: "subscribe", channel });
    assert.equal(subscribed.type, "subscribed");
    // Three seconds later the fresh token expires three seconds after the first: that long is
    // left for the publish after the first expiry (timings from the tokens themselves).
    await sleep(3_000);
    const refreshed = await sub.request({
      id: 2,
      type: "refresh",
      token: (await login(system.authUrl, user.email)).token,
    });
    assert.equal(refreshed.type, "refreshed");
    await sleep(expiresAt(user.token) * 1000 - Date.now() + 300); // past the first token's expiry

    // A message published now reaches the same socket, on the subscription made before.
    const pub = await WsClient.connect(
      wsUrl(system.producerUrl),
      (await login(system.authUrl, user.email)).token,
    );
    const ack = await pub.request({
      id: 1,
      type: "publish",
      channel,
      clientMsgId: "after-refresh",
      body: "still here",
    });
    assert.equal(ack.type, "ack");
    const message = await sub.next<MessageFrame>((f) => f.type === "message");
    assert.equal(message.body, "still here");
    assert.equal(message.seq, 1);
    assert.deepEqual(await sub.closed, { code: 4001, reason: "token expired" });
    await pub.close();
  } finally {
    await system.stop();
  }
});
