import assert from "node:assert/strict";
import { withMigratedDatabase } from "../../shared/testing/infra.ts";
import { PgMessageSearch } from "../internal/adapters/outbound/pg_message_search.ts";
import type { SearchCursor } from "../internal/domain/ports/message_search.ts";

Deno.test("message search SQL: ties and microseconds page exactly; only member channels", async () => {
  await withMigratedDatabase(async (sql) => {
    const [user] = await sql<{ id: string }[]>`
      insert into users (email, password_hash, display_name)
      values ('search@example.com', 'x', 'search') returning id`;
    await sql`insert into channels (id, kind) values ('a', 'public'), ('b', 'private'),
      ('c', 'public')`;
    await sql`insert into channel_members (channel_id, user_id)
      values ('a', ${user.id}), ('b', ${user.id})`;
    // Same instant in two channels, and instants a microsecond apart.
    const rows: [string, number, string][] = [
      ["a", 1, "2026-01-01 00:00:00.000001+00"],
      ["a", 2, "2026-01-01 00:00:00.000002+00"],
      ["b", 1, "2026-01-01 00:00:00.000002+00"],
      ["a", 3, "2026-01-01 00:00:00.000003+00"],
      ["c", 1, "2026-01-01 00:00:00.000004+00"],
    ];
    for (const [channel, seq, at] of rows) {
      await sql`insert into messages (channel_id, seq, id, client_msg_id, sender_id, body, created_at)
        values (${channel}, ${seq}, ${crypto.randomUUID()}, ${`${channel}-${seq}`}, ${user.id},
          ${`needle in ${channel}${seq}`}, ${at}::text::timestamptz)`;
    }
    const search = new PgMessageSearch(sql);
    const seen: string[] = [];
    let after: SearchCursor | undefined;
    for (let page = 0; page < 10; page++) {
      const found = await search.search({ userId: user.id, query: "needle", after, limit: 1 });
      if (found.length === 0) break;
      seen.push(...found.map((f) => `${f.message.channel}${f.message.seq}`));
      after = found.at(-1)!.cursor;
    }
    assert.deepEqual(seen, ["a3", "b1", "a2", "a1"], "newest first, c never");
    const onlyB = await search.search({ userId: user.id, query: "needle", channel: "b", limit: 5 });
    assert.deepEqual(onlyB.map((f) => f.message.channel), ["b"]);
    await assert.rejects(
      search.search({
        userId: user.id,
        query: "needle",
        after: { at: "not a time", channel: "a", seq: 1 },
        limit: 1,
      }),
      (err) => (err as { code?: string }).code === "INVALID",
    );
  });
});
