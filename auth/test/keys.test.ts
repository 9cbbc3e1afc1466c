import { exportJWK, generateKeyPair } from "jose";
import assert from "node:assert/strict";
import { ConfigError } from "../../shared/config/env.ts";
import { loadAuthConfig } from "../src/config.ts";
import { loadSigningKeys } from "../src/keys.ts";

Deno.test("signing keys: made once into the key file, reused, or taken from configuration", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rtm-keys-" });
  try {
    const keyFile = `${dir}/nested/signing-key.json`;
    const made = await loadSigningKeys({ keyFile });
    const again = await loadSigningKeys({ keyFile });
    assert.equal(again.kid, made.kid, "the second start reads the same key");
    assert.deepEqual(again.jwks, made.jwks);

    const jwk = {
      ...await exportJWK((await generateKeyPair("EdDSA", { extractable: true })).privateKey),
      kid: "configured",
    };
    const configured = await loadSigningKeys({ keyFile, privateJwk: JSON.stringify(jwk) });
    assert.equal(configured.kid, "configured");
    assert.equal(configured.jwks.keys[0].x, jwk.x);

    const es = await exportJWK((await generateKeyPair("ES256", { extractable: true })).privateKey);
    await assert.rejects(
      loadSigningKeys({ keyFile, privateJwk: JSON.stringify(es) }),
      /must be an Ed25519 private JWK/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("auth config: token lifetimes and throttle limits are validated", () => {
  const base = { DATABASE_URL: "postgres://u@localhost/db" };
  const config = loadAuthConfig({
    ...base,
    ACCESS_TOKEN_TTL_SECONDS: "60",
    REFRESH_TOKEN_TTL_SECONDS: "3600",
    AUTH_THROTTLE_MAX_FAILURES: "5",
  });
  assert.equal(config.accessTokenTtlSeconds, 60);
  assert.equal(config.refreshTokenTtlSeconds, 3600);
  assert.deepEqual(config.throttle, { maxFailures: 5, windowSeconds: 60 });
  assert.equal(loadAuthConfig(base).refreshTokenTtlSeconds, 30 * 24 * 3600);
  assert.equal(loadAuthConfig(base).refreshFamilyMaxAgeSeconds, 30 * 24 * 3600);
  assert.throws(
    () => loadAuthConfig({ ...base, REFRESH_TOKEN_TTL_SECONDS: "0" }),
    (err: ConfigError) => err.message.includes("REFRESH_TOKEN_TTL_SECONDS"),
  );
});
