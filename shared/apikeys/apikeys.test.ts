import assert from "node:assert/strict";
import { createTestDatabase } from "../testing/infra.ts";
import { migrateUp } from "../db/migrate.ts";
import { connectPostgres } from "../db/postgres.ts";
import { AppError } from "../errors.ts";
import { ApiKeyGuard } from "./guard.ts";
import { PgApiKeys } from "./pg_api_keys.ts";

/** `deno task apikey:*` as an operator runs it. */
async function apikey(databaseUrl: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tools/apikey.ts", ...args],
    env: { DATABASE_URL: databaseUrl },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e) => e);
  assert.ok(err instanceof AppError, "expected a refusal");
  return `${err.code}: ${err.message}`;
}

Deno.test("API keys: created once by the CLI, stored hashed, listed, scoped and revoked", async () => {
  const db = await createTestDatabase();
  const sql = connectPostgres(db.url, { max: 2 });
  try {
    await migrateUp(sql);
    const created = await apikey(db.url, "create", "--name", "billing", "--scopes", "publish,read");
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.match(/key:\s+(rtm_\S+)/)![1];
    const id = created.stdout.match(/id:\s+(\S+)/)![1];

    const [row] = await sql`select key_hash from api_keys where id = ${id}`;
    assert.equal(row.key_hash.length, 32, "a SHA-256, not the key");

    const listed = await apikey(db.url, "list");
    assert.match(listed.stdout, new RegExp(`${id}\\s+billing\\s+\\[publish,read\\].*active`));
    assert.doesNotMatch(listed.stdout, /rtm_/);

    const guard = new ApiKeyGuard(new PgApiKeys(sql));
    await guard.require(`ApiKey ${key}`, "publish");
    await guard.require(`apikey ${key}`, "read");
    const unknown = "UNAUTHENTICATED: missing, unknown or revoked API key";
    assert.equal(await refusal(guard.require(`ApiKey ${key}x`, "read")), unknown);
    assert.equal(await refusal(guard.require(undefined, "read")), unknown);
    assert.equal(await refusal(guard.require(`Bearer ${key}`, "read")), unknown);
    assert.equal(
      await refusal(guard.require(`ApiKey ${key}`, "moderate")),
      "FORBIDDEN: this API key lacks the moderate scope",
    );

    const revoked = await apikey(db.url, "revoke", id);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(await refusal(guard.require(`ApiKey ${key}`, "publish")), unknown);
    assert.match((await apikey(db.url, "list")).stdout, /revoked \d{4}-/);
    assert.equal((await apikey(db.url, "revoke", id)).code, 2, "revoking twice is refused");
    const bad = await apikey(db.url, "create", "--name", "x", "--scopes", "publish,admin");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /scopes/);
  } finally {
    await sql.end();
    await db.drop();
  }
});
