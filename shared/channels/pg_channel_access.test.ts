import assert from "node:assert/strict";
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
        Array.from({ length: 20 }, () => new PgChannelAccess(sql).authorize(user.id, `r${round}`)),
      );
      assert.deepEqual(results.filter((r) => r.status === "rejected"), []);
      const rows = await sql`select kind from channels where id = ${`r${round}`}`;
      assert.deepEqual(rows.map((r) => r.kind), ["public"]);
    }
  }, { max: 20 });
});
