import * as grpc from "@grpc/grpc-js";
import { exportJWK, generateKeyPair } from "jose";
import assert from "node:assert/strict";
import { JwtVerifier } from "../../shared/auth/jwt_verifier.ts";
import { startEmbeddedPostgres } from "../../shared/db/embedded.ts";
import { AppError } from "../../shared/errors.ts";
import { freePort } from "../../shared/net.ts";
import {
  getJson,
  grpcFails,
  PASSWORD,
  postJson,
  registerAndLogin,
  startTestAuth,
  uniqueEmail,
} from "./harness.ts";

Deno.test("auth restart: the key file keeps access and refresh tokens valid", async () => {
  const keyDir = await Deno.makeTempDir({ prefix: "rtm-auth-key-" });
  const first = await startTestAuth({}, { keyDir });
  try {
    const login = await registerAndLogin(first.url);
    const jwksBefore = (await getJson(`${first.url}/.well-known/jwks.json`)).body;
    assert.equal((await Deno.stat(first.config.keyFile)).mode! & 0o777, 0o600);
    await first.stopService();

    const second = await startTestAuth({}, { databaseUrl: first.config.databaseUrl, keyDir });
    try {
      assert.deepEqual((await getJson(`${second.url}/.well-known/jwks.json`)).body, jwksBefore);
      const me = await getJson(`${second.url}/v1/auth/me`, login.accessToken);
      assert.equal(me.status, 200);
      assert.equal(me.body.id, login.user.id);
      const refreshed = await postJson(`${second.url}/v1/auth/refresh`, {
        refreshToken: login.refreshToken,
      });
      assert.equal(refreshed.status, 200);
    } finally {
      await second.stopService();
      await second.sql.end();
    }
  } finally {
    await first.stop();
    await Deno.remove(keyDir, { recursive: true });
  }
});

Deno.test("auth key rotation: retired keys still verify; other services pick up a new kid", async () => {
  const httpPort = freePort();
  const oldKey = {
    ...await exportJWK((await generateKeyPair("EdDSA", { extractable: true })).privateKey),
    kid: "old",
  };
  const newKey = {
    ...await exportJWK((await generateKeyPair("EdDSA", { extractable: true })).privateKey),
    kid: "new",
  };
  const before = await startTestAuth({
    AUTH_HTTP_PORT: String(httpPort),
    AUTH_PRIVATE_JWK: JSON.stringify(oldKey),
  });
  const jwksUrl = `http://127.0.0.1:${httpPort}/.well-known/jwks.json`;
  // What the producer and consumer run, with no cooldown so the test need not wait 30 s.
  const remote = JwtVerifier.fromJwksUrl(jwksUrl, before.config.issuer, before.config.audience, {
    cooldownMs: 0,
  });
  let after: Awaited<ReturnType<typeof startTestAuth>> | undefined;
  try {
    const oldLogin = await registerAndLogin(before.url);
    assert.equal((await remote.verify(oldLogin.accessToken)).userId, oldLogin.user.id);
    await before.stopService();

    const retired = { keys: [{ kty: "OKP", crv: "Ed25519", x: oldKey.x, kid: "old" }] };
    after = await startTestAuth({
      AUTH_HTTP_PORT: String(httpPort),
      AUTH_PRIVATE_JWK: JSON.stringify(newKey),
      AUTH_RETIRED_PUBLIC_JWKS: JSON.stringify(retired),
    }, { databaseUrl: before.config.databaseUrl });
    const jwks = (await getJson(jwksUrl)).body;
    assert.deepEqual(jwks.keys.map((k: { kid: string }) => k.kid), ["new", "old"]);
    assert.ok(jwks.keys.every((k: { d?: string }) => k.d === undefined));

    // Tokens of the old key keep working until they expire, at auth and elsewhere.
    assert.equal((await getJson(`${after.url}/v1/auth/me`, oldLogin.accessToken)).status, 200);
    assert.equal((await remote.verify(oldLogin.accessToken)).userId, oldLogin.user.id);
    // A token with the new kid makes the other service refetch the JWKS, and it verifies.
    const fresh = await postJson(`${after.url}/v1/auth/login`, {
      email: oldLogin.user.email,
      password: PASSWORD,
    });
    const header = JSON.parse(atob(fresh.body.accessToken.split(".")[0]));
    assert.equal(header.kid, "new");
    assert.equal((await remote.verify(fresh.body.accessToken)).userId, oldLogin.user.id);

    // A retired key given with its private part is refused at start.
    await assert.rejects(
      startTestAuth({
        AUTH_PRIVATE_JWK: JSON.stringify(newKey),
        AUTH_RETIRED_PUBLIC_JWKS: JSON.stringify({ keys: [oldKey] }),
      }, { databaseUrl: before.config.databaseUrl }),
      /retired keys must be public/,
    );
  } finally {
    await after?.stopService();
    await after?.sql.end();
    await before.stop();
  }
});

Deno.test("JwtVerifier: an unreachable JWKS is UNAVAILABLE (503), not the client's fault", async () => {
  const verifier = JwtVerifier.fromJwksUrl(
    `http://127.0.0.1:${freePort()}/.well-known/jwks.json`,
    "rtm-auth",
    "rtm",
  );
  const a = await startTestAuth();
  try {
    const { accessToken } = await registerAndLogin(a.url);
    await assert.rejects(verifier.verify(accessToken), (err: AppError) => {
      assert.equal(err.code, "UNAVAILABLE");
      return true;
    });
  } finally {
    await a.stop();
  }
});

Deno.test("auth with its database down: UNAVAILABLE on gRPC, 503 on HTTP, never INTERNAL", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "rtm-auth-pg-" });
  const port = freePort();
  let pg = await startEmbeddedPostgres({ dataDir: `${dataDir}/pg`, port });
  const a = await startTestAuth({}, { databaseUrl: pg.url });
  const { call } = a.grpc;
  try {
    const login = await registerAndLogin(a.url);
    await pg.stop();

    await t.step("gRPC: UNAVAILABLE for every call that needs the database", async () => {
      await grpcFails(
        call("Register", { email: uniqueEmail(), password: PASSWORD }),
        grpc.status.UNAVAILABLE,
      );
      await grpcFails(
        call("GenerateToken", { email: login.user.email, password: PASSWORD }),
        grpc.status.UNAVAILABLE,
      );
      await grpcFails(
        call("RefreshToken", { refresh_token: login.refreshToken }),
        grpc.status.UNAVAILABLE,
      );
      await grpcFails(
        call("RevokeToken", { refresh_token: login.refreshToken }),
        grpc.status.UNAVAILABLE,
      );
      // Client mistakes are still the client's: validated before the database is asked.
      await grpcFails(call("Register", { email: "bad" }), grpc.status.INVALID_ARGUMENT);
      // Access tokens verify locally: no database needed.
      const v = await call<{ user_id: string }>("ValidateToken", { token: login.accessToken });
      assert.equal(v.user_id, login.user.id);
    });

    await t.step("HTTP: 503 UNAVAILABLE, and /ready names postgres as down", async () => {
      const res = await postJson(`${a.url}/v1/auth/login`, {
        email: login.user.email,
        password: PASSWORD,
      });
      assert.equal(res.status, 503);
      assert.deepEqual(res.body, {
        error: { code: "UNAVAILABLE", message: "database unavailable" },
      });
      const ready = await getJson(`${a.url}/ready`);
      assert.equal(ready.status, 503);
      assert.equal(ready.body.checks.postgres, "down");
    });

    await t.step("the database back: the same requests succeed again", async () => {
      pg = await startEmbeddedPostgres({ dataDir: `${dataDir}/pg`, port });
      const res = await postJson(`${a.url}/v1/auth/login`, {
        email: login.user.email,
        password: PASSWORD,
      });
      assert.equal(res.status, 200);
    });
  } finally {
    await a.stopService();
    await a.sql.end({ timeout: 1 });
    await pg.stop().catch(() => {});
    await Deno.remove(dataDir, { recursive: true });
  }
});
