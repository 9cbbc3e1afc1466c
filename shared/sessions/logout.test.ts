import assert from "node:assert/strict";
import { CloseCode } from "../protocol/frames.ts";
import { registerAndLogin } from "../testing/infra.ts";
import { startDistributed, wsUrl } from "../testing/system.ts";
import { WsClient } from "../testing/ws_client.ts";

const POLL_MS = 500;

async function login(authUrl: string, email: string) {
  const res = await fetch(`${authUrl}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "correct horse battery" }),
  });
  assert.equal(res.status, 200);
  return await res.json() as { accessToken: string; refreshToken: string };
}

/** Issue #14: logout left open sockets alive until the access token expired (15 minutes). */
Deno.test("logout closes the session's sockets on producer and every consumer", async () => {
  const system = await startDistributed({
    consumers: 2,
    env: { SESSION_REVOCATION_POLL_MS: String(POLL_MS) },
  });
  const sockets: WsClient[] = [];
  try {
    const { email } = await registerAndLogin(system.authUrl);
    const session = await login(system.authUrl, email);
    for (const base of [system.producerUrl, ...system.consumerUrls]) {
      sockets.push(await WsClient.connect(wsUrl(base), session.accessToken));
    }
    // A token issued after the logout (a new login) keeps its socket.
    const loggedOutAt = Date.now();
    const out = await fetch(`${system.authUrl}/v1/auth/logout`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refreshToken: session.refreshToken }),
    });
    assert.equal(out.status, 204);
    const closed = await Promise.all(sockets.map((s) => s.closed));
    const tookMs = Date.now() - loggedOutAt;
    for (const c of closed) {
      assert.deepEqual(c, { code: CloseCode.TOKEN_EXPIRED, reason: "session revoked" });
    }
    assert.ok(tookMs < 3 * POLL_MS + 1_000, `sockets closed ${tookMs} ms after logout`);
    console.log(`logout: 3 sockets on 3 instances closed within ${tookMs} ms`);

    await new Promise((r) => setTimeout(r, 1_100)); // a later second: a later iat
    const next = await login(system.authUrl, email);
    const fresh = await WsClient.connect(wsUrl(system.consumerUrls[0]), next.accessToken);
    sockets.push(fresh);
    await new Promise((r) => setTimeout(r, 3 * POLL_MS));
    assert.equal(fresh.socket.readyState, WebSocket.OPEN);
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await system.stop();
  }
});
