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

Deno.test("message search SQL: messages as they are now, never the event rows", async () => {
  await withMigratedDatabase(async (sql) => {
    const [user] = await sql<{ id: string }[]>`
      insert into users (email, password_hash, display_name)
      values ('events@example.com', 'x', 'events') returning id`;
    await sql`insert into channels (id, kind) values ('e', 'public')`;
    await sql`insert into channel_members (channel_id, user_id) values ('e', ${user.id})`;
    const insert = (seq: number, body: string, kind = "message", target: number | null = null) =>
      sql`insert into messages
        (channel_id, seq, id, client_msg_id, sender_id, body, kind, target_seq, created_at)
        values ('e', ${seq}, ${crypto.randomUUID()}, ${`e-${seq}`}, ${user.id}, ${body}, ${kind},
          ${target}, now())`;
    await insert(1, "kept needle");
    await insert(2, "gone needle");
    await insert(3, "edited needle");
    await insert(4, "edited needle, second version", "edit", 3);
    await insert(5, "", "delete", 2);
    // What the persisting transaction does to the targets (sql/store_message_batch.sql).
    await sql`update messages set body = 'edited needle, second version', edited_at = now()
      where channel_id = 'e' and seq = 3`;
    await sql`update messages set body = '', deleted_at = now() where channel_id = 'e' and seq = 2`;
    const found = await new PgMessageSearch(sql).search({
      userId: user.id,
      query: "needle",
      limit: 10,
    });
    assert.deepEqual(found.map((f) => f.message.seq).sort(), [1, 3], "no tombstone, no event row");
    assert.equal(
      found.find((f) => f.message.seq === 3)?.message.body,
      "edited needle, second version",
    );
  });
});
