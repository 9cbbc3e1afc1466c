import assert from "node:assert/strict";
import { connectPostgres } from "./postgres.ts";
import { migrateDown, migrateUp, migrationStatus, parseMigration } from "./migrate.ts";
import { createTestDatabase } from "../testing/infra.ts";

Deno.test("migrations: up, down, up again on a fresh database, goose_db_version as goose keeps it", async () => {
  const db = await createTestDatabase();
  const sql = connectPostgres(db.url, { max: 2 });
  try {
    const applied = await migrateUp(sql);
    assert.ok(applied.length >= 1);
    assert.deepEqual(await migrateUp(sql), [], "a second up applies nothing");
    const rows = await sql<{ version_id: number; is_applied: boolean }[]>`
      select version_id, is_applied from goose_db_version order by id`;
    // goose starts the table with a version-0 row, then one row per applied version.
    assert.deepEqual(rows.map((r) => [r.version_id, r.is_applied]), [
      [0, true],
      ...applied.map((v) => [v, true]),
    ]);
    const tables = await sql<{ t: string }[]>`
      select table_name as t from information_schema.tables where table_schema = 'public'`;
    for (const t of ["users", "channels", "channel_members", "messages", "persist_offsets"]) {
      assert.ok(tables.some((r) => r.t === t), `table ${t} exists`);
    }
    const pk = await sql<{ def: string }[]>`
      select pg_get_constraintdef(oid) as def from pg_constraint
      where conrelid = 'messages'::regclass and contype in ('p', 'u') order by contype`;
    assert.deepEqual(pk.map((r) => r.def).sort(), [
      "PRIMARY KEY (channel_id, seq)",
      "UNIQUE (sender_id, channel_id, client_msg_id)",
    ]);

    // Down all the way: goose deletes the version rows.
    while (await migrateDown(sql) !== undefined) { /* next */ }
    const after = await sql`select version_id from goose_db_version order by id`;
    assert.deepEqual(after.map((r) => r.version_id), [0]);
    assert.ok((await migrationStatus(sql)).every((m) => !m.applied));
    const left = await sql`select 1 from information_schema.tables where table_name = 'messages'`;
    assert.equal(left.length, 0);

    assert.deepEqual(await migrateUp(sql), applied, "up again re-applies everything");
  } finally {
    await sql.end();
    await db.drop();
  }
});

Deno.test("migrations: parser reads goose annotations and refuses bad files", () => {
  const m = parseMigration(
    "00042_add_x.sql",
    "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE x (id int);\n-- +goose StatementEnd\n-- +goose Down\nDROP TABLE x;\n",
  );
  assert.equal(m.version, 42);
  assert.equal(m.name, "add_x");
  assert.equal(m.up, "CREATE TABLE x (id int);");
  assert.equal(m.down, "DROP TABLE x;");
  assert.equal(m.transactional, true);
  assert.equal(
    parseMigration("00043_c.sql", "-- +goose NO TRANSACTION\n-- +goose Up\nSELECT 1;")
      .transactional,
    false,
  );
  assert.throws(() => parseMigration("bad.sql", "-- +goose Up"), /NNNNN_name/);
  assert.throws(() => parseMigration("00001_a.sql", "CREATE TABLE y ();"), /missing/);
});
