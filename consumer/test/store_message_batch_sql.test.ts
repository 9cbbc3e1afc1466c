import assert from "node:assert/strict";
import { withMigratedDatabase } from "../../shared/testing/infra.ts";

const CANONICAL = new URL(
  "../internal/adapters/outbound/sql/store_message_batch.sql",
  import.meta.url,
);

Deno.test("store_message_batch: the migrated database runs exactly the canonical SQL source", async () => {
  await withMigratedDatabase(async (sql) => {
    const canonical = await Deno.readTextFile(CANONICAL);
    // PostgreSQL prints both definitions in its own normal form: the canonical one is created in
    // a scratch schema of this throwaway database, beside the migrated one.
    const definitions = await sql.begin(async (tx) => {
      await tx`create schema canonical`;
      await tx`set local search_path = canonical, public`;
      await tx.unsafe(canonical);
      const rows = await tx<{ schema: string; def: string }[]>`
        select n.nspname as schema, pg_get_functiondef(p.oid) as def
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where p.proname = 'store_message_batch' order by n.nspname`;
      return rows;
    });
    const defs = Object.fromEntries(definitions.map((r) => [r.schema, r.def]));
    assert.ok(defs.public, "the migrations define public.store_message_batch");
    assert.ok(defs.canonical, "the canonical file defines store_message_batch");
    assert.equal(
      defs.public,
      defs.canonical.replace("canonical.store_message_batch", "public.store_message_batch"),
    );
  }, { max: 1 });
});
