import assert from "node:assert/strict";
import type { Sql } from "../db/postgres.ts";
import { AppError } from "../errors.ts";
import { withMigratedDatabase } from "../testing/infra.ts";
import { PgChannelAccess } from "./pg_channel_access.ts";

Deno.test("channel access: many first uses of a new channel at once all succeed", async () => {
  await withMigratedDatabase(async (sql) => {
    const [user] = await sql<{ id: string }[]>`
      insert into users (email, password_hash, display_name)
      values ('race@example.com', 'x', 'race') returning id`;
    // Open every pooled connection first, so the first uses below really run concurrently.
    await Promise.all(Array.from({ length: 20 }, () => sql`select pg_sleep(0.05)`));
    for (let round = 0; round < 5; round++) {
      // Separate instances (separate caches), like sockets racing on several service instances.
      const results = await Promise.allSettled(
        Array.from(
          { length: 20 },
          () => new PgChannelAccess(sql, 100).authorize(user.id, `r${round}`),
        ),
      );
      assert.deepEqual(results.filter((r) => r.status === "rejected"), []);
      const rows = await sql`select kind from channels where id = ${`r${round}`}`;
      assert.deepEqual(rows.map((r) => r.kind), ["public"]);
    }
  }, { max: 20 });
});

async function user(sql: Sql, name: string): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into users (email, password_hash, display_name)
    values (${`${name}@example.com`}, 'x', ${name}) returning id`;
  return row.id;
}

Deno.test("channel access: new ids used at once stop at the hourly cap, exactly", async () => {
  await withMigratedDatabase(async (sql) => {
    const id = await user(sql, "creator");
    await Promise.all(Array.from({ length: 20 }, () => sql`select pg_sleep(0.05)`));
    // 40 first uses of 40 new ids at once, from separate caches (as from several instances).
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => new PgChannelAccess(sql, 5).authorize(id, `n${i}`)),
    );
    const refused = results.filter((r) => r.status === "rejected");
    assert.equal(results.length - refused.length, 5);
    for (const r of refused) assert.equal((r.reason as AppError).code, "RATE_LIMITED");
    const [{ n }] = await sql<{ n: number }[]>`
      select count(*)::int as n from channels where created_by = ${id}`;
    assert.equal(n, 5);
    // Channels that exist already cost nothing.
    const made = results.findIndex((r) => r.status === "fulfilled");
    await new PgChannelAccess(sql, 5).authorize(id, `n${made}`);
  }, { max: 20 });
});

Deno.test("channel access: an expired membership is read again before it is honoured", async () => {
  await withMigratedDatabase(async (sql) => {
    const [owner, member] = [await user(sql, "owner"), await user(sql, "member")];
    await sql`insert into channels (id, kind, created_by) values ('secret', 'private', ${owner})`;
    await sql`insert into channel_members (channel_id, user_id) values ('secret', ${member})`;
    const access = new PgChannelAccess(sql, 5, 50);
    await access.authorize(member, "secret");
    // Removed behind the cache's back (no announcement): once the entry expires, it is over.
    await sql`delete from channel_members where user_id = ${member}`;
    await new Promise((r) => setTimeout(r, 80));
    await assert.rejects(access.authorize(member, "secret"), { code: "FORBIDDEN" });

    // An announced removal (forget) ends it at once, well before the TTL.
    const cached = new PgChannelAccess(sql, 5, 60_000);
    await sql`insert into channel_members (channel_id, user_id) values ('secret', ${member})`;
    await cached.authorize(member, "secret");
    await sql`delete from channel_members where user_id = ${member}`;
    cached.forget("secret", member);
    await assert.rejects(cached.authorize(member, "secret"), { code: "FORBIDDEN" });
  });
});
