import assert from "node:assert/strict";
import type { Sql } from "../../shared/db/postgres.ts";
import { acceptedMessage as message } from "./support.ts";
import { eventually } from "../../shared/testing/eventually.ts";
import { withMigratedDatabase } from "../../shared/testing/infra.ts";
import { PgMessageStore } from "../internal/adapters/outbound/pg_message_store.ts";
import { FencedError, StoreError } from "../internal/domain/ports/message_store.ts";
import { PersistGroups } from "../internal/domain/services/persist_groups.ts";

const LOG = "MESSAGES@t0";
const CHANNELS = ["c0", "c1", "c2", "c3", "c4", "c5", "c6"];

/** A migrated database with one user and channels c0…c6, and a store counting its transactions. */
function withGroups(
  fn: (ctx: {
    sql: Sql;
    groups: PersistGroups;
    sender: string;
    transactions: () => number;
  }) => Promise<void>,
): Promise<void> {
  return withMigratedDatabase(async (sql) => {
    const [user] = await sql<{ id: string }[]>`
      insert into users (email, password_hash, display_name)
      values ('groups@example.com', 'x', 'groups') returning id`;
    for (const c of CHANNELS) await sql`insert into channels (id, kind) values (${c}, 'public')`;
    const store = new PgMessageStore(sql);
    let transactions = 0;
    const storeBatch = store.storeBatch.bind(store);
    store.storeBatch = (...args) => {
      transactions++;
      return storeBatch(...args);
    };
    await fn({
      sql,
      groups: new PersistGroups(store, 2, 256),
      sender: user.id,
      transactions: () => transactions,
    });
  });
}

/** Partition p's batch: two messages on channel c<p>, its offset from 0 to 10 + p. */
const batchOf = (sender: string, p: number) => ({
  messages: [message(sender, `c${p}`), message(sender, `c${p}`)],
  fence: { log: LOG, partition: p, expected: 0, next: 10 + p },
});

/** Holds the channels table until the returned function is called: stores wait behind it. */
async function holdChannels(sql: Sql): Promise<() => Promise<void>> {
  const release = Promise.withResolvers<void>();
  const locked = Promise.withResolvers<void>();
  const holding = sql.begin(async (tx) => {
    await tx`lock table channels in exclusive mode`;
    locked.resolve();
    await release.promise;
  });
  await locked.promise;
  return async () => {
    release.resolve();
    await holding;
  };
}

Deno.test("persist groups: batches that wait for a slot are stored together in one transaction", async () => {
  await withGroups(async ({ sql, groups, sender, transactions }) => {
    const release = await holdChannels(sql);
    // Two batches take the two slots and wait on the lock; five more queue meanwhile.
    const batches = [0, 1, 2, 3, 4, 5, 6].map((p) => batchOf(sender, p));
    const results = batches.map((b) => groups.storeBatch(b.messages, b.fence));
    await eventually("both slots storing", () => transactions() === 2);
    await release();
    const stored = await Promise.all(results);
    assert.equal(transactions(), 3, "2 alone, then the 5 that waited in one");
    for (const [p, rows] of stored.entries()) {
      // Each batch gets back its own rows, numbered in its order.
      assert.deepEqual(rows.map((m) => [m.channel, m.seq]), [[`c${p}`, 1], [`c${p}`, 2]]);
      assert.deepEqual(rows.map((m) => m.id), batches[p].messages.map((m) => m.id));
    }
    const offsets = await sql<{ partition: number; stream_seq: number }[]>`
      select partition, stream_seq from persist_offsets order by partition`;
    assert.deepEqual(offsets.map((o) => o.stream_seq), [10, 11, 12, 13, 14, 15, 16]);
  });
});

Deno.test("persist groups: a fenced partition or a bad message fails its own batch only", async () => {
  await withGroups(async ({ sql, groups, sender }) => {
    // Partition 3 moved on under another reader; partition 4's batch names no channel that exists.
    await sql`insert into persist_offsets (log_id, partition, stream_seq) values (${LOG}, 3, 99)`;
    const release = await holdChannels(sql);
    const first = [0, 1].map((p) => batchOf(sender, p));
    const waiting = [2, 3, 4, 5].map((p) => batchOf(sender, p));
    waiting[2].messages = [message(sender, "no-such-channel")];
    const results = [...first, ...waiting].map((b) =>
      groups.storeBatch(b.messages, b.fence).then(
        (rows) => rows.length,
        (err: unknown) => err,
      )
    );
    await release();
    const [r0, r1, r2, r3, r4, r5] = await Promise.all(results);
    assert.deepEqual([r0, r1, r2, r5], [2, 2, 2, 2]);
    assert.ok(r3 instanceof FencedError, String(r3));
    assert.ok(r4 instanceof StoreError && r4.permanent, String(r4));
    const offsets = await sql<{ partition: number; stream_seq: number }[]>`
      select partition, stream_seq from persist_offsets order by partition`;
    assert.deepEqual(offsets.map((o) => [o.partition, o.stream_seq]), [
      [0, 10],
      [1, 11],
      [2, 12],
      [3, 99],
      [5, 15],
    ]);
  });
});
