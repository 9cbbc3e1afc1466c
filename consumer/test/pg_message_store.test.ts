import assert from "node:assert/strict";
import { connectPostgres, type Sql } from "../../shared/db/postgres.ts";
import type { AcceptedMessage } from "../../shared/domain/message.ts";
import { acceptedMessage as message } from "./support.ts";
import { freePort, withMigratedDatabase } from "../../shared/testing/infra.ts";
import { PgMessageStore } from "../internal/adapters/outbound/pg_message_store.ts";
import { FencedError, StoreError } from "../internal/domain/ports/message_store.ts";

/** A migrated database with one user and public channels a and b. */
function withStore(
  fn: (ctx: { sql: Sql; store: PgMessageStore; sender: string }) => Promise<void>,
): Promise<void> {
  return withMigratedDatabase(async (sql) => {
    const [user] = await sql<{ id: string }[]>`
      insert into users (email, password_hash, display_name)
      values ('store@example.com', 'x', 'store') returning id`;
    await sql`insert into channels (id, kind) values ('a', 'public'), ('b', 'public')`;
    await fn({ sql, store: new PgMessageStore(sql), sender: user.id });
  });
}

Deno.test("message store: a batch is numbered per channel in batch order", async () => {
  await withStore(async ({ store, sender }) => {
    const batch = [message(sender, "a"), message(sender, "b"), message(sender, "a")];
    const stored = await store.storeBatch(batch);
    const seqOf = (m: AcceptedMessage) => stored.find((s) => s.clientMsgId === m.clientMsgId)?.seq;
    assert.deepEqual(batch.map(seqOf), [1, 1, 2]);
    assert.equal(stored[0].body, batch[0].body);
    assert.equal(stored[0].sentAt, batch[0].sentAt);
    assert.equal(await store.lastSeq("a"), 2);
    assert.equal(await store.lastSeq("b"), 1);
  });
});

Deno.test("message store: a redelivered message is returned as first stored, not stored twice", async () => {
  await withStore(async ({ sql, store, sender }) => {
    const first = message(sender, "a");
    await store.storeBatch([first]);
    const later = message(sender, "a");
    // A retry of `first` with a new id (a client retry after the duplicate window), and a
    // duplicate inside the batch itself.
    const retry = { ...first, id: crypto.randomUUID(), body: "changed" };
    const stored = await store.storeBatch([retry, later, later]);
    assert.deepEqual(stored.map((s) => [s.clientMsgId, s.seq, s.id, s.body]), [
      [first.clientMsgId, 1, first.id, first.body],
      [later.clientMsgId, 2, later.id, later.body],
    ]);
    const [{ count }] = await sql<{ count: number }[]>`select count(*)::int from messages`;
    assert.equal(count, 2);
  });
});

Deno.test("message store: a batch naming a missing channel fails whole, as a permanent error", async () => {
  await withStore(async ({ sql, store, sender }) => {
    const good = message(sender, "a");
    const orphan = message(sender, "gone");
    await assert.rejects(store.storeBatch([good, orphan]), (err) => {
      assert.ok(err instanceof StoreError && err.permanent);
      assert.match(err.detail, /channel gone does not exist/);
      return true;
    });
    const [{ count }] = await sql<{ count: number }[]>`select count(*)::int from messages`;
    assert.equal(count, 0, "nothing of the batch stored: the caller isolates the bad message");
  });
});

Deno.test("message store: one clientMsgId in two channels is two messages (idempotency per channel)", async () => {
  await withStore(async ({ store, sender }) => {
    const inA = message(sender, "a", "same");
    const inB = message(sender, "b", "same");
    await store.storeBatch([inA]);
    const stored = await store.storeBatch([inB]);
    assert.deepEqual(stored.map((m) => [m.channel, m.seq, m.id]), [["b", 1, inB.id]]);
    assert.deepEqual((await store.range("b", 0, 10, 10)).map((m) => m.clientMsgId), ["same"]);
    // The same id again in either channel is still a duplicate there.
    const again = await store.storeBatch([{ ...inB, id: crypto.randomUUID() }]);
    assert.deepEqual(again.map((m) => m.id), [inB.id]);
  });
});

Deno.test("message store: a partition's offset moves with its batch, and only from where its reader stood", async () => {
  await withStore(async ({ sql, store, sender }) => {
    const fence = { log: "MESSAGES@t0", partition: 3, expected: 0, next: 7 };
    await store.storeBatch([message(sender, "a")], [fence]);
    assert.equal(await store.offset("MESSAGES@t0", 3), 7);
    assert.equal(await store.offset("MESSAGES@t0", 4), 0);
    // A second reader that started from 0 too (a lease it lost without noticing) is refused,
    // and nothing of its batch is stored.
    await assert.rejects(
      store.storeBatch([message(sender, "a")], [{ ...fence, next: 9 }]),
      FencedError,
    );
    const [{ count }] = await sql<{ count: number }[]>`select count(*)::int from messages`;
    assert.equal(count, 1);
    await store.advanceOffset({ ...fence, expected: 7, next: 12 });
    assert.equal(await store.offset("MESSAGES@t0", 3), 12);
    await assert.rejects(store.advanceOffset({ ...fence, expected: 7, next: 13 }), FencedError);
  });
});

Deno.test("message store: several partitions' batches in one transaction move every offset, or none", async () => {
  await withStore(async ({ sql, store, sender }) => {
    const log = "MESSAGES@t0";
    const stored = await store.storeBatch([message(sender, "a"), message(sender, "b")], [
      { log, partition: 4, expected: 0, next: 5 },
      { log, partition: 3, expected: 0, next: 7 },
    ]);
    assert.deepEqual(stored.map((m) => [m.channel, m.seq]), [["a", 1], ["b", 1]]);
    assert.equal(await store.offset(log, 3), 7);
    assert.equal(await store.offset(log, 4), 5);
    // Partition 3's fence is stale: partition 4's batch in the same call is not stored either.
    await assert.rejects(
      store.storeBatch([message(sender, "a"), message(sender, "b")], [
        { log, partition: 3, expected: 0, next: 9 },
        { log, partition: 4, expected: 5, next: 8 },
      ]),
      FencedError,
    );
    assert.equal(await store.offset(log, 4), 5);
    const [{ count }] = await sql<{ count: number }[]>`select count(*)::int from messages`;
    assert.equal(count, 2);
  });
});

Deno.test("message store: concurrent batches (as from several instances) keep seqs gap-free and unique", async () => {
  await withStore(async ({ sql, store, sender }) => {
    // Eight writers at once, each batch touching both channels in a different order, and every
    // message sent twice by two writers (a redelivery racing its first delivery).
    const messages = Array.from({ length: 400 }, (_, i) => message(sender, i % 3 ? "a" : "b"));
    const batches = Array.from({ length: 80 }, (_, i) => {
      const slice = messages.slice((i % 40) * 10, (i % 40) * 10 + 10);
      return i % 2 ? slice.reverse() : slice;
    });
    // Batches lock their channels before the duplicate check, so a racing duplicate waits and
    // then finds the first copy: no batch fails.
    const results = await Promise.all(batches.map((batch) => store.storeBatch(batch)));
    for (const [i, result] of results.entries()) {
      assert.equal(result.length, batches[i].length);
    }
    const rows = await sql<{ channel_id: string; seq: number; client_msg_id: string }[]>`
      select channel_id, seq, client_msg_id from messages order by channel_id, seq`;
    assert.equal(rows.length, messages.length);
    assert.equal(new Set(rows.map((r) => r.client_msg_id)).size, messages.length);
    for (const channel of ["a", "b"]) {
      const seqs = rows.filter((r) => r.channel_id === channel).map((r) => r.seq);
      assert.deepEqual(seqs, seqs.map((_, i) => i + 1), `channel ${channel} seqs`);
      assert.equal(await store.lastSeq(channel), seqs.length);
    }
  });
});

Deno.test("message store: a batch probes the indexes however much the table grew since its plan was cached", async () => {
  await withStore(async ({ sql, sender }) => {
    // PL/pgSQL caches a generic plan after five calls: make it on a near-empty table that
    // autovacuum has just analyzed, on one connection (plans are per connection), then grow the
    // table behind the plan's back.
    const conn = await sql.reserve();
    try {
      const store = new PgMessageStore(conn);
      await store.storeBatch([message(sender, "a")]);
      await conn`vacuum analyze messages, channels`;
      for (let i = 0; i < 6; i++) {
        await store.storeBatch([message(sender, "a"), message(sender, "b")]);
      }
      await conn`
        insert into messages (channel_id, seq, id, client_msg_id, sender_id, body, created_at)
        select 'b', 1000 + g, gen_random_uuid(), 'bulk' || g, ${sender}, 'x', now()
        from generate_series(1, 20000) g`;
      // Inside one transaction pg_stat_xact_* only grows: compare before and after two stores.
      const seqScans = async () =>
        Number(
          (await conn<{ n: string }[]>`
          select seq_scan as n from pg_stat_xact_user_tables where relname = 'messages'`)[0].n,
        );
      await conn`begin`;
      const before = await seqScans();
      const fresh = [message(sender, "a"), message(sender, "b")];
      assert.equal((await store.storeBatch(fresh)).length, 2);
      // Two of three already stored: the re-read of stored rows runs too.
      assert.equal((await store.storeBatch([...fresh, message(sender, "a")])).length, 3);
      const scanned = await seqScans() - before;
      await conn`commit`;
      assert.equal(scanned, 0, "no batch read the whole messages table");
    } finally {
      conn.release();
    }
  });
});

Deno.test("message store: a query PostgreSQL does not answer in time fails as transient", async () => {
  await withStore(async ({ sql, sender }) => {
    const store = new PgMessageStore(sql, 300);
    // Another session holds the tables: the store's statements wait on its locks.
    const release = Promise.withResolvers<void>();
    const holding = sql.begin(async (tx) => {
      await tx`lock table channels, messages in access exclusive mode`;
      await release.promise;
    });
    await new Promise((r) => setTimeout(r, 100));
    try {
      for (
        const call of [
          () => store.storeBatch([message(sender, "a")]),
          () => store.range("a", 0, 10, 10),
          () => store.lastSeq("a"),
        ]
      ) {
        const started = performance.now();
        await assert.rejects(call(), (err: unknown) => {
          assert.ok(err instanceof StoreError && !err.permanent, String(err));
          assert.equal(err.code, "UNAVAILABLE");
          return true;
        });
        assert.ok(performance.now() - started < 2_000);
      }
    } finally {
      release.resolve();
      await holding;
    }
  });
});

Deno.test("message store: an unreachable PostgreSQL fails as UNAVAILABLE, not as an internal error", async () => {
  // Nothing listens there: every query fails to connect.
  const sql = connectPostgres(`postgres://postgres@127.0.0.1:${freePort()}/none`, { max: 1 });
  try {
    const store = new PgMessageStore(sql);
    for (const call of [() => store.lastSeq("a"), () => store.range("a", 0, 10, 10)]) {
      await assert.rejects(call(), (err: unknown) => {
        // A subscribe or history read that meets this tells the client to retry.
        assert.ok(err instanceof StoreError && !err.permanent, String(err));
        assert.equal(err.code, "UNAVAILABLE");
        assert.doesNotMatch(err.message, /ECONNREFUSED|127\.0\.0\.1/);
        assert.match(err.detail, /ECONNREFUSED|connect/i);
        return true;
      });
    }
  } finally {
    await sql.end();
  }
});
