import { createLocalJWKSet } from "jose";
import assert from "node:assert/strict";
import { JwtVerifier } from "../../shared/auth/jwt_verifier.ts";
import { AppError } from "../../shared/errors.ts";
import { ClientAddresses, throttleAddress } from "../src/client_address.ts";
import { loadSigningKeys } from "../src/keys.ts";
import { PasswordHasher } from "../src/passwords.ts";
import { PgRefreshTokenStore } from "../src/refresh_tokens.ts";
import { AuthService } from "../src/service.ts";
import { AttemptThrottle } from "../src/throttle.ts";
import { PgUserStore } from "../src/users.ts";
import { WorkGate } from "../src/work_gate.ts";
import { medianTimes, PASSWORD, postJson, startTestAuth, uniqueEmail } from "./harness.ts";
import { SYSTEM_USER_ID } from "../../shared/domain/system_user.ts";

Deno.test("AttemptThrottle: a limit per key, per window, with the wait, in bounded memory", () => {
  let now = 1_000_000;
  const throttle = new AttemptThrottle({
    maxAttempts: 3,
    windowMs: 60_000,
    maxKeys: 4,
    now: () => now,
  });
  for (let i = 0; i < 3; i++) throttle.reserve(["ip:a", "account:x"]);
  now += 20_000;
  assert.throws(() => throttle.reserve(["ip:b", "account:x"]), (err: AppError) => {
    assert.equal(err.code, "RATE_LIMITED");
    assert.equal(err.retryAfterSeconds, 40);
    return true;
  });
  throttle.reserve(["ip:b", "account:y"]); // other keys are unaffected…
  throttle.reserve(["ip:b"]); // …and a refused reservation counted nothing on ip:b
  throttle.reserve(["ip:b"]);
  assert.throws(() => throttle.reserve(["ip:b"]), AppError);
  throttle.release(["ip:b"]); // an attempt taken back frees its place
  throttle.reserve(["ip:b"]);
  throttle.forget("account:x");
  assert.throws(() => throttle.reserve(["ip:a"]), AppError, "the IP stays throttled");
  throttle.reserve(["account:x"]);
  now += 40_000;
  throttle.reserve(["ip:a"]); // the window has ended
  // A flood of distinct keys never holds more than maxKeys.
  for (let i = 0; i < 100; i++) throttle.reserve([`ip:flood-${i}`]);
  assert.ok(throttle.size <= 4, `size ${throttle.size}`);
});

Deno.test("client addresses: X-Forwarded-For only from trusted proxies; IPv6 keyed by /64", () => {
  const none = new ClientAddresses([]);
  assert.equal(none.resolve("127.0.0.1", "203.0.113.9"), "127.0.0.1", "no proxy is trusted");
  const proxies = new ClientAddresses([
    { address: "10.0.0.0", prefix: 8, family: "ipv4" },
    { address: "fd00::", prefix: 8, family: "ipv6" },
  ]);
  // Read from the right past trusted hops; a forged left part is never reached.
  assert.equal(proxies.resolve("10.0.0.1", "1.1.1.1, 203.0.113.9, 10.0.0.2"), "203.0.113.9");
  assert.equal(proxies.resolve("fd00::1", "2001:db8::5"), "2001:db8::5");
  assert.equal(proxies.resolve("::ffff:10.0.0.1", "203.0.113.9"), "203.0.113.9");
  assert.equal(proxies.resolve("198.51.100.1", "203.0.113.9"), "198.51.100.1", "untrusted peer");
  assert.equal(proxies.resolve("10.0.0.1", "garbage, 10.0.0.3"), "10.0.0.3", "stops at junk");
  assert.equal(proxies.resolve("10.0.0.1", null), "10.0.0.1");

  assert.equal(throttleAddress("203.0.113.9"), "203.0.113.9");
  assert.equal(throttleAddress("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  assert.equal(throttleAddress("2001:db8:1:2::9"), "2001:db8:1:2::/64");
  assert.equal(throttleAddress("2001:db8::"), "2001:db8:0:0::/64");
  assert.equal(throttleAddress("::ffff:192.0.2.1"), "192.0.2.1", "IPv4-mapped is IPv4");
});

Deno.test("auth HTTP: login failures from one IP are throttled with 429 and Retry-After", async () => {
  const a = await startTestAuth();
  try {
    const email = uniqueEmail();
    await postJson(`${a.url}/v1/auth/register`, { email, password: PASSWORD });
    // Ten failures on ten different accounts: the IP, not an account, reaches the limit. What
    // the client claims in X-Forwarded-For does not matter: no proxy is trusted by default.
    for (let i = 0; i < 10; i++) {
      const res = await postJson(`${a.url}/v1/auth/login`, {
        email: uniqueEmail(),
        password: "wrong password",
      }, { "x-forwarded-for": `198.51.100.${i}` });
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

Deno.test("auth HTTP: behind a trusted proxy, clients are told apart, IPv6 ones by /64", async () => {
  const a = await startTestAuth({ TRUSTED_PROXIES: "127.0.0.1/32, ::1" });
  try {
    const fail = (from: string) =>
      postJson(`${a.url}/v1/auth/login`, { email: uniqueEmail(), password: "wrong password" }, {
        "x-forwarded-for": `192.0.2.77, ${from}`,
      });
    // Every address of one /64 shares a budget: rotating through them buys nothing.
    for (let i = 1; i <= 10; i++) assert.equal((await fail(`2001:db8:1:2::${i}`)).status, 401);
    assert.equal((await fail("2001:db8:1:2:ffff:ffff:ffff:ffff")).status, 429);
    // The next /64, and an IPv4 client, are other clients.
    assert.equal((await fail("2001:db8:1:3::1")).status, 401);
    assert.equal((await fail("203.0.113.5")).status, 401);
  } finally {
    await a.stop();
  }
});

Deno.test("auth HTTP: registrations are throttled per address, whatever the emails", async () => {
  const a = await startTestAuth({
    AUTH_REGISTER_MAX_PER_WINDOW: "3",
    TRUSTED_PROXIES: "127.0.0.1",
  });
  try {
    const register = (from: string) =>
      postJson(`${a.url}/v1/auth/register`, { email: uniqueEmail(), password: PASSWORD }, {
        "x-forwarded-for": from,
      });
    for (let i = 0; i < 3; i++) assert.equal((await register("203.0.113.1")).status, 201);
    const refused = await register("203.0.113.1");
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, "RATE_LIMITED");
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(retryAfter > 3500 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
    assert.equal((await register("203.0.113.2")).status, 201, "another address");
    const [{ n }] = await a.sql`
      select count(*)::int as n from users where id <> ${SYSTEM_USER_ID}`;
    assert.equal(n, 4);
  } finally {
    await a.stop();
  }
});

Deno.test("auth service: failures on one account are throttled whatever the IP", async () => {
  const a = await startTestAuth();
  try {
    const keys = await loadSigningKeys({ keyFile: a.config.keyFile });
    const throttle = () => new AttemptThrottle({ maxAttempts: 3, windowMs: 60_000 });
    const service = new AuthService({
      users: new PgUserStore(a.sql),
      refreshTokens: new PgRefreshTokenStore(a.sql, { ttlSeconds: 60, familyMaxAgeSeconds: 60 }),
      keys,
      verifier: new JwtVerifier(createLocalJWKSet(keys.jwks), "iss", "aud"),
      passwords: new PasswordHasher(a.config.scrypt, new WorkGate(2, 8)),
      loginThrottle: throttle(),
      registerThrottle: throttle(),
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
    let i = 0;
    const [w, u] = await medianTimes(`${a.url}/v1/auth/login`, 401, [
      () => ({ email, password: `wrong password ${i++}` }),
      () => ({ email: uniqueEmail(), password: PASSWORD }),
    ]);
    // Skipping the KDF for unknown emails would make them an order of magnitude faster; the band
    // is wide enough that a busy machine's scheduling noise (seen: 0.45x) does not trip it.
    assert.ok(u > w * 0.35 && u < w * 2.5, `wrong password ${w} ms, unknown email ${u} ms`);
    assert.ok(w > 10, `the KDF is expensive (${w} ms)`);
  } finally {
    await a.stop();
  }
});
