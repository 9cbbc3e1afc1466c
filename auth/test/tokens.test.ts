import * as grpc from "@grpc/grpc-js";
import { type JWTPayload, SignJWT } from "jose";
import { generateKeyPair } from "jose";
import assert from "node:assert/strict";
import { loadSigningKeys } from "../src/keys.ts";
import { getJson, grpcFails, registerAndLogin, startTestAuth } from "./harness.ts";

const b64url = (v: unknown) =>
  btoa(typeof v === "string" ? v : JSON.stringify(v)).replace(/=+$/, "").replace(/\+/g, "-")
    .replace(/\//g, "_");

const REFUSED = { error: { code: "UNAUTHENTICATED", message: "invalid or expired token" } };

Deno.test("access tokens: every forgery or defect is refused with the same 401 on HTTP and gRPC", async (t) => {
  const a = await startTestAuth();
  try {
    const login = await registerAndLogin(a.url);
    const userId: string = login.user.id;
    const keys = await loadSigningKeys({ keyFile: a.config.keyFile });
    const now = Math.floor(Date.now() / 1000);
    const claims = (over: JWTPayload = {}): JWTPayload => ({
      sub: userId,
      iss: a.config.issuer,
      aud: a.config.audience,
      iat: now,
      exp: now + 600,
      jti: crypto.randomUUID(),
      ...over,
    });
    const signWith = (
      key: Parameters<SignJWT["sign"]>[0],
      kid: string,
      payload: JWTPayload,
      alg = "EdDSA",
    ) => new SignJWT(payload).setProtectedHeader({ alg, kid, typ: "JWT" }).sign(key);
    const withRealKey = (payload: JWTPayload) => signWith(keys.privateKey, keys.kid, payload);

    await t.step(
      "the real token and one signed by the real key with correct claims pass",
      async () => {
        for (const token of [login.accessToken, await withRealKey(claims())]) {
          const me = await getJson(`${a.url}/v1/auth/me`, token);
          assert.equal(me.status, 200);
          assert.equal(me.body.id, userId);
          const v = await a.grpc.call<{ user_id: string; expires_at: number }>("ValidateToken", {
            token,
          });
          assert.equal(v.user_id, userId);
          assert.ok(v.expires_at > now);
        }
        // Expired two seconds ago: inside the clock-skew leeway.
        const skewed = await withRealKey(claims({ exp: now - 2 }));
        assert.equal((await getJson(`${a.url}/v1/auth/me`, skewed)).status, 200);
      },
    );

    const foreign = await generateKeyPair("EdDSA", { extractable: true });
    const es = await generateKeyPair("ES256");
    const real = login.accessToken as string;
    const [h, p, s] = real.split(".");
    const publicX = (keys.jwks.keys[0] as { x: string }).x;
    const hmacKey = new TextEncoder().encode(publicX);

    const bad: Record<string, string> = {
      "alg none": `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims())}.`,
      "alg none with the real kid": `${b64url({ alg: "none", kid: keys.kid })}.${
        b64url(claims())
      }.`,
      "HS256 keyed with the public key (algorithm confusion)": await new SignJWT(claims())
        .setProtectedHeader({ alg: "HS256", kid: keys.kid }).sign(hmacKey),
      "ES256 (a wrong algorithm)": await signWith(es.privateKey, keys.kid, claims(), "ES256"),
      "tampered payload (another sub)": `${h}.${b64url(claims({ sub: crypto.randomUUID() }))}.${s}`,
      "bad signature": `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`,
      "foreign key, real kid": await signWith(foreign.privateKey, keys.kid, claims()),
      "foreign key, unknown kid": await signWith(foreign.privateKey, "attacker", claims()),
      "another issuer": await withRealKey(claims({ iss: "someone-else" })),
      "another audience": await withRealKey(claims({ aud: "other-service" })),
      "expired beyond the leeway": await withRealKey(claims({ iat: now - 1000, exp: now - 60 })),
      "issued in the future (nbf)": await withRealKey(claims({ nbf: now + 3600 })),
      "no jti": await withRealKey({ ...claims(), jti: undefined }),
      "no sub": await withRealKey({ ...claims(), sub: undefined }),
      "malformed: one segment": "garbage",
      "malformed: three junk segments": "a.b.c",
      "malformed: non-base64": "%%%.%%%.%%%",
      "malformed: JSON array header": `${b64url([1])}.${b64url(claims())}.${s}`,
      "malformed: payload not JSON": `${h}.${b64url("not json")}.${s}`,
    };

    for (const [name, token] of Object.entries(bad)) {
      await t.step(
        `${name}: 401 over HTTP, UNAUTHENTICATED over gRPC, nothing more said`,
        async () => {
          const me = await getJson(`${a.url}/v1/auth/me`, token);
          assert.equal(me.status, 401);
          assert.deepEqual(me.body, REFUSED);
          const err = await grpcFails(
            a.grpc.call("ValidateToken", { token }),
            grpc.status.UNAUTHENTICATED,
          );
          assert.equal(err.details, REFUSED.error.message);
        },
      );
    }

    await t.step("a token for an account that no longer exists: 401", async () => {
      const ghost = await withRealKey(claims({ sub: crypto.randomUUID() }));
      const me = await getJson(`${a.url}/v1/auth/me`, ghost);
      assert.equal(me.status, 401);
      assert.deepEqual(me.body, REFUSED);
    });

    await t.step("a token that expires is refused once its time is up", async () => {
      const shortLived = await startTestAuth({ ACCESS_TOKEN_TTL_SECONDS: "1" }, {
        databaseUrl: a.config.databaseUrl,
      });
      try {
        const { accessToken, expiresIn } = await registerAndLogin(shortLived.url);
        assert.equal(expiresIn, 1);
        assert.equal((await getJson(`${shortLived.url}/v1/auth/me`, accessToken)).status, 200);
        // 1 s lifetime + 5 s leeway.
        await new Promise((r) => setTimeout(r, 7_000));
        const me = await getJson(`${shortLived.url}/v1/auth/me`, accessToken);
        assert.equal(me.status, 401);
        assert.deepEqual(me.body, REFUSED);
      } finally {
        await shortLived.stopService();
        await shortLived.sql.end();
      }
    });

    await t.step("the JWKS serves the public key only, with kid and alg", async () => {
      const jwks = (await getJson(`${a.url}/.well-known/jwks.json`)).body;
      assert.equal(jwks.keys.length, 1);
      const [key] = jwks.keys;
      assert.equal(key.kid, keys.kid);
      assert.equal(key.alg, "EdDSA");
      assert.equal(key.crv, "Ed25519");
      assert.equal(key.d, undefined, "no private part");
      const header = JSON.parse(atob(h.replace(/-/g, "+").replace(/_/g, "/")));
      assert.equal(header.kid, keys.kid);
      assert.equal(header.alg, "EdDSA");
      const payload = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")));
      for (const claim of ["sub", "iat", "exp", "jti"]) assert.ok(payload[claim], claim);
      assert.equal(payload.exp - payload.iat, 900);
    });
  } finally {
    await a.stop();
  }
});
