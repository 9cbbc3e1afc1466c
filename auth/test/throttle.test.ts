import { createLocalJWKSet } from "jose";
import assert from "node:assert/strict";
import { JwtVerifier } from "../../shared/auth/jwt_verifier.ts";
import { AppError } from "../../shared/errors.ts";
import { loadSigningKeys } from "../src/keys.ts";
import { RefreshTokenStore } from "../src/refresh_tokens.ts";
import { AuthService } from "../src/service.ts";
import { FailureThrottle } from "../src/throttle.ts";
import { UserStore } from "../src/users.ts";
import { PASSWORD, postJson, startTestAuth, uniqueEmail } from "./harness.ts";

Deno.test("FailureThrottle: a limit per key, per window, with the wait, in bounded memory", () => {
  let now = 1_000_000;
  const throttle = new FailureThrottle({
    maxFailures: 3,
    windowMs: 60_000,
    maxKeys: 4,
    now: () => now,
  });
  for (let i = 0; i < 3; i++) {
    throttle.check(["ip:a", "account:x"]);
    throttle.fail(["ip:a", "account:x"]);
  }
  now += 20_000;
  assert.throws(() => throttle.check(["ip:b", "account:x"]), (err: AppError) => {
    assert.equal(err.code, "RATE_LIMITED");
    assert.equal(err.retryAfterSeconds, 40);
    return true;
  });
  throttle.check(["ip:b", "account:y"]); // other keys are unaffected
  throttle.forget("account:x");
  assert.throws(() => throttle.check(["ip:a"]), AppError, "the IP stays throttled");
  throttle.check(["account:x"]);
  now += 40_000;
  throttle.check(["ip:a"]); // the window has ended
  // A flood of distinct keys never holds more than maxKeys.
  for (let i = 0; i < 100; i++) throttle.fail([`ip:flood-${i}`]);
  assert.ok(throttle.size <= 4, `size ${throttle.size}`);
});

Deno.test("auth HTTP: login failures from one IP are throttled with 429 and Retry-After", async () => {
  const a = await startTestAuth();
  try {
    const email = uniqueEmail();
    await postJson(`${a.url}/v1/auth/register`, { email, password: PASSWORD });
    // Ten failures on ten different accounts: the IP, not an account, reaches the limit.
    for (let i = 0; i < 10; i++) {
      const res = await postJson(`${a.url}/v1/auth/login`, {
        email: uniqueEmail(),
        password: "wrong password",
      });
      assert.equal(res.status, 401, `attempt ${i + 1}`);
    }
    const res = await postJson(`${a.url}/v1/auth/login`, { email, password: PASSWORD });
    assert.equal(res.status, 429);
    assert.equal(res.body.error.code, "RATE_LIMITED");
    const retryAfter = Number(res.headers.get("retry-after"));
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  } finally {
    await a.stop();
  }
});

Deno.test("auth HTTP: registering taken emails counts as failures and is throttled", async () => {
  const a = await startTestAuth({ AUTH_THROTTLE_MAX_FAILURES: "2" });
  try {
    const email = uniqueEmail();
    assert.equal(
      (await postJson(`${a.url}/v1/auth/register`, { email, password: PASSWORD })).status,
      201,
    );
    for (let i = 0; i < 2; i++) {
      const res = await postJson(`${a.url}/v1/auth/register`, { email, password: PASSWORD });
      assert.equal(res.status, 409);
    }
    const next = await postJson(`${a.url}/v1/auth/register`, {
      email: uniqueEmail(),
      password: PASSWORD,
    });
    assert.equal(next.status, 429);
    assert.ok(next.headers.get("retry-after"));
  } finally {
    await a.stop();
  }
});

Deno.test("auth service: failures on one account are throttled whatever the IP", async () => {
  const a = await startTestAuth();
  try {
    const keys = await loadSigningKeys({ keyFile: a.config.keyFile });
    const service = new AuthService({
      users: new UserStore(a.sql),
      refreshTokens: new RefreshTokenStore(a.sql, { ttlSeconds: 60, familyMaxAgeSeconds: 60 }),
      keys,
      verifier: new JwtVerifier(createLocalJWKSet(keys.jwks), "iss", "aud"),
      throttle: new FailureThrottle({ maxFailures: 3, windowMs: 60_000 }),
    }, { issuer: "iss", audience: "aud", accessTokenTtlSeconds: 60 });
    const email = uniqueEmail();
    await service.register({ email, password: PASSWORD }, { ip: "10.0.0.1" });
    for (let i = 0; i < 3; i++) {
      await assert.rejects(
        service.login({ email, password: "wrong password" }, { ip: `10.0.1.${i}` }),
        (err: AppError) => err.code === "UNAUTHENTICATED",
      );
    }
    await assert.rejects(
      service.login({ email, password: PASSWORD }, { ip: "10.0.2.1" }),
      (err: AppError) => err.code === "RATE_LIMITED",
    );
    // Another account from a fresh IP is untouched.
    const other = uniqueEmail();
    await service.register({ email: other, password: PASSWORD }, { ip: "10.0.3.1" });
    const ok = await service.login({ email: other, password: PASSWORD }, { ip: "10.0.3.1" });
    assert.equal(ok.user.email, other);
  } finally {
    await a.stop();
  }
});

Deno.test("auth HTTP: an unknown email costs the same time as a wrong password", async () => {
  const a = await startTestAuth({ AUTH_THROTTLE_MAX_FAILURES: "1000" });
  try {
    const email = uniqueEmail();
    await postJson(`${a.url}/v1/auth/register`, { email, password: PASSWORD });
    const time = async (body: unknown) => {
      const started = performance.now();
      const res = await postJson(`${a.url}/v1/auth/login`, body);
      assert.equal(res.status, 401);
      return performance.now() - started;
    };
    const wrong: number[] = [], unknown: number[] = [];
    for (let i = 0; i < 9; i++) {
      wrong.push(await time({ email, password: `wrong password ${i}` }));
      unknown.push(await time({ email: uniqueEmail(), password: PASSWORD }));
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1];
    const [w, u] = [median(wrong), median(unknown)];
    // Skipping the KDF for unknown emails would make them an order of magnitude faster; the band
    // is wide enough that a busy machine's scheduling noise (seen: 0.45x) does not trip it.
    assert.ok(u > w * 0.35 && u < w * 2.5, `wrong password ${w} ms, unknown email ${u} ms`);
    assert.ok(w > 10, `the KDF is expensive (${w} ms)`);
  } finally {
    await a.stop();
  }
});
