import { generateKeyPair, type JWTPayload, SignJWT } from "jose";
import assert from "node:assert/strict";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import { loadSigningKeys } from "../src/keys.ts";
import { postJson, registerAndLogin } from "./harness.ts";

const REFUSED = { error: { code: "UNAUTHENTICATED", message: "invalid or expired token" } };

/** A WebSocket upgrade attempt as plain HTTP, to read the refusal's status and body. */
async function upgrade(base: string, token: string) {
  const res = await fetch(`${base}/v1/ws`, {
    headers: {
      upgrade: "websocket",
      connection: "upgrade",
      "sec-websocket-version": "13",
      "sec-websocket-key": btoa(crypto.randomUUID().slice(0, 16)),
      authorization: `Bearer ${token}`,
    },
  });
  return { status: res.status, body: await res.json() };
}

Deno.test("producer and consumer verify tokens against auth's JWKS: real ones pass, forged ones are 401", async (t) => {
  const system = await startDistributed();
  try {
    const login = await registerAndLogin(system.authUrl);
    const channel = `jwks-${crypto.randomUUID().slice(0, 8)}`;
    const publish = (token: string, clientMsgId = crypto.randomUUID()) =>
      postJson(`${system.producerUrl}/v1/channels/${channel}/messages`, {
        clientMsgId,
        body: "hi",
      }, { authorization: `Bearer ${token}` });
    const history = async (token: string) => {
      const res = await fetch(`${system.consumerUrls[0]}/v1/channels/${channel}/messages`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: res.status, body: await res.json() };
    };

    await t.step(
      "a token from the real auth: publish 202, history 200, both upgrades",
      async () => {
        assert.equal((await publish(login.accessToken)).status, 202);
        assert.equal((await history(login.accessToken)).status, 200);
        const pub = await WsClient.connect(wsUrl(system.producerUrl), login.accessToken);
        const sub = await WsClient.connect(wsUrl(system.consumerUrls[0]), login.accessToken);
        await Promise.all([pub.close(), sub.close()]);
      },
    );

    await t.step("a token from a refresh is accepted as well", async () => {
      const refreshed = await postJson(`${system.authUrl}/v1/auth/refresh`, {
        refreshToken: login.refreshToken,
      });
      assert.equal(refreshed.status, 200);
      assert.equal((await publish(refreshed.body.accessToken)).status, 202);
      assert.equal((await history(refreshed.body.accessToken)).status, 200);
    });

    const real = await loadSigningKeys({ keyFile: system.env.AUTH_KEY_FILE });
    const foreign = await generateKeyPair("EdDSA");
    const now = Math.floor(Date.now() / 1000);
    const claims: JWTPayload = {
      sub: login.user.id,
      iss: "rtm-auth",
      aud: "rtm",
      iat: now,
      exp: now + 600,
      jti: crypto.randomUUID(),
    };
    const sign = (key: Parameters<SignJWT["sign"]>[0], kid: string, payload = claims) =>
      new SignJWT(payload).setProtectedHeader({ alg: "EdDSA", kid }).sign(key);
    const b64 = (v: unknown) => btoa(JSON.stringify(v)).replace(/=+$/, "");
    const forged: Record<string, string> = {
      "a foreign key using auth's kid": await sign(foreign.privateKey, real.kid),
      "a foreign key with its own kid": await sign(foreign.privateKey, "attacker-key"),
      "alg none": `${b64({ alg: "none" })}.${b64(claims)}.`,
      "the real key, expired": await sign(real.privateKey, real.kid, {
        ...claims,
        exp: now - 120,
      }),
      "the real key, another audience": await sign(real.privateKey, real.kid, {
        ...claims,
        aud: "elsewhere",
      }),
    };
    for (const [name, token] of Object.entries(forged)) {
      await t.step(`${name}: 401 at the producer and consumer, HTTP and upgrade`, async () => {
        const results = {
          publish: await publish(token),
          history: await history(token),
          producerUpgrade: await upgrade(system.producerUrl, token),
          consumerUpgrade: await upgrade(system.consumerUrls[0], token),
        };
        for (const [where, res] of Object.entries(results)) {
          assert.equal(res.status, 401, where);
          assert.deepEqual(res.body, REFUSED, where);
        }
      });
    }

    await t.step("the real token still works after the forged attempts", async () => {
      assert.equal((await publish(login.accessToken)).status, 202);
    });
  } finally {
    await system.stop();
  }
});
