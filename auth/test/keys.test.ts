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

Deno.test("auth config: lifetimes, throttles, hashing and trusted proxies are validated", () => {
  const base = { DATABASE_URL: "postgres://u@localhost/db" };
  const config = loadAuthConfig({
    ...base,
    ACCESS_TOKEN_TTL_SECONDS: "60",
    REFRESH_TOKEN_TTL_SECONDS: "3600",
    AUTH_THROTTLE_MAX_FAILURES: "5",
  });
  assert.equal(config.accessTokenTtlSeconds, 60);
  assert.equal(config.refreshTokenTtlSeconds, 3600);
  assert.deepEqual(config.loginThrottle, { maxAttempts: 5, windowSeconds: 60 });
  const defaults = loadAuthConfig(base);
  assert.equal(defaults.refreshTokenTtlSeconds, 30 * 24 * 3600);
  assert.equal(defaults.refreshFamilyMaxAgeSeconds, 30 * 24 * 3600);
  assert.deepEqual(defaults.registerThrottle, { maxAttempts: 20, windowSeconds: 3600 });
  // Current guidance for scrypt (OWASP): N=2^17, r=8, p=1 — 128 MiB, so two at a time.
  assert.deepEqual(defaults.scrypt, { n: 2 ** 17, r: 8, p: 1 });
  assert.deepEqual(defaults.hashing, { concurrency: 2, queue: 16 });
  assert.deepEqual(defaults.trustedProxies, [], "no proxy is trusted unless configured");
  assert.deepEqual(
    loadAuthConfig({ ...base, TRUSTED_PROXIES: "10.0.0.0/8, ::1" }).trustedProxies,
    [
      { address: "10.0.0.0", prefix: 8, family: "ipv4" },
      { address: "::1", prefix: 128, family: "ipv6" },
    ],
  );
  for (
    const [name, value] of [
      ["REFRESH_TOKEN_TTL_SECONDS", "0"],
      ["TRUSTED_PROXIES", "10.0.0.0/33"],
      ["TRUSTED_PROXIES", "proxy.example"],
      ["AUTH_SCRYPT_LOG2_N", "9"],
      ["AUTH_HASH_CONCURRENCY", "0"],
    ]
  ) {
    assert.throws(
      () => loadAuthConfig({ ...base, [name]: value }),
      (err: ConfigError) => err.message.includes(name),
      `${name}=${value}`,
    );
  }
});
