import assert from "node:assert/strict";
import { PgRefreshTokenStore } from "../src/refresh_tokens.ts";
import { startTokenPurge } from "../src/token_purge.ts";
import { PgUserStore } from "../src/users.ts";
import { logger, postJson, registerAndLogin, startTestAuth, uniqueEmail } from "./harness.ts";

const DAY = 24 * 3600;
const lifetimes = (ttlSeconds: number) => ({ ttlSeconds, familyMaxAgeSeconds: 30 * DAY });

Deno.test("refresh tokens: concurrent refreshes of one token — one wins, the family dies", async () => {
  const a = await startTestAuth();
  try {
    const user = await new PgUserStore(a.sql).create(uniqueEmail(), "u", "hash");
    const store = new PgRefreshTokenStore(a.sql, lifetimes(3600));
    const { token } = await store.issue(user.id);
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => store.rotate(token)));
    const rotated = outcomes.filter((o) => o.kind === "rotated");
    assert.equal(rotated.length, 1, JSON.stringify(outcomes.map((o) => o.kind)));
    // The first replay revokes the family; replays after that find it revoked.
    assert.ok(outcomes.some((o) => o.kind === "reused"));
    // The winner's new token died with the family.
    const next = rotated[0].kind === "rotated" ? rotated[0].next.token : "";
    assert.deepEqual(await store.rotate(next), { kind: "invalid" });
  } finally {
    await a.stop();
  }
});

Deno.test("refresh tokens: expired rows are purged in bounded batches, live ones kept", async () => {
  const a = await startTestAuth();
  try {
    const user = await new PgUserStore(a.sql).create(uniqueEmail(), "u", "hash");
    const shortLived = new PgRefreshTokenStore(a.sql, lifetimes(1));
    const longLived = new PgRefreshTokenStore(a.sql, lifetimes(3600));
    for (let i = 0; i < 5; i++) await shortLived.issue(user.id);
    const live = await longLived.issue(user.id);
    await new Promise((r) => setTimeout(r, 1_100));
    assert.equal(await longLived.purgeExpired(2), 2, "at most one batch");

    const purge = startTokenPurge(longLived, logger, {
      intervalMs: 20,
      batchSize: 2,
      maxBatches: 10,
    });
    const deadline = Date.now() + 5_000;
    while ((await a.sql`select count(*)::int as n from refresh_tokens`)[0].n > 1) {
      assert.ok(Date.now() < deadline, "purged within 5 s");
      await new Promise((r) => setTimeout(r, 20));
    }
    await purge.stop();
    const rotated = await longLived.rotate(live.token);
    assert.equal(rotated.kind, "rotated", "the live token survived");
  } finally {
    await a.stop();
  }
});

Deno.test("refresh tokens: a login's family dies at its absolute lifetime, however often rotated", async () => {
  const a = await startTestAuth({
    REFRESH_TOKEN_TTL_SECONDS: String(30 * DAY),
    REFRESH_FAMILY_MAX_AGE_SECONDS: String(7 * DAY),
  });
  try {
    const login = await registerAndLogin(a.url);
    assert.ok(login.refreshExpiresIn <= 7 * DAY, `${login.refreshExpiresIn}`);
    // Six days later (the family's start moved back), a rotation works, but its token does not
    // outlive the family: it expires in a day, not in thirty.
    await a.sql`update refresh_tokens set family_started_at = now() - interval '6 days'`;
    const rotated = await postJson(`${a.url}/v1/auth/refresh`, {
      refreshToken: login.refreshToken,
    });
    assert.equal(rotated.status, 200);
    assert.ok(rotated.body.refreshExpiresIn <= DAY, `${rotated.body.refreshExpiresIn}`);
    // Past the lifetime, even a token whose own expiry is far off is refused.
    await a.sql`
      update refresh_tokens set family_started_at = now() - interval '7 days 1 second',
        expires_at = now() + interval '20 days'`;
    const late = await postJson(`${a.url}/v1/auth/refresh`, {
      refreshToken: rotated.body.refreshToken,
    });
    assert.equal(late.status, 401);
    assert.equal(late.body.error.code, "UNAUTHENTICATED");
  } finally {
    await a.stop();
  }
});
