import assert from "node:assert/strict";
import postgres from "postgres";
import { startEmbeddedPostgres } from "./embedded.ts";

/** Whether `url` opens a session; false when the server refuses the password (28P01). */
async function accepts(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await sql`select 1`;
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "28P01") return false;
    throw err;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

Deno.test("embedded PostgreSQL: a random password kept beside the data folder, not postgres/postgres", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rtm-embedded-pg-" });
  const dataDir = `${dir}/pg`;
  const passwordFile = `${dataDir}.password`;
  let pg = await startEmbeddedPostgres({ dataDir });
  try {
    const password = new URL(pg.url).password;
    assert.ok(password.length >= 32 && password !== "postgres", password);
    assert.equal((await Deno.readTextFile(passwordFile)).trim(), password);
    assert.equal((await Deno.stat(passwordFile)).mode! & 0o777, 0o600);
    assert.ok(await accepts(pg.url));
    assert.equal(
      await accepts(withPassword(pg.url, "postgres")),
      false,
      "the old default is refused",
    );

    // A restart reads the same password.
    await pg.stop();
    pg = await startEmbeddedPostgres({ dataDir, port: pg.port });
    assert.equal(new URL(pg.url).password, password);
    assert.ok(await accepts(pg.url));

    // A cluster from before (password "postgres", no password file) gets a random one at start.
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    await sql.unsafe(`alter role postgres password 'postgres'`);
    await sql.end();
    await pg.stop();
    await Deno.remove(passwordFile);
    pg = await startEmbeddedPostgres({ dataDir, port: pg.port });
    const replaced = new URL(pg.url).password;
    assert.ok(replaced !== "postgres" && replaced !== password);
    assert.equal((await Deno.readTextFile(passwordFile)).trim(), replaced);
    assert.ok(await accepts(pg.url));
    assert.equal(await accepts(withPassword(pg.url, "postgres")), false);
  } finally {
    await pg.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
