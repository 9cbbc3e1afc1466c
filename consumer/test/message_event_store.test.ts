import assert from "node:assert/strict";
import type { Sql } from "../../shared/db/postgres.ts";
import type { AcceptedMessage } from "../../shared/domain/message.ts";
import type { EventKind } from "../../shared/domain/message_event.ts";
import { withMigratedDatabase } from "../../shared/testing/infra.ts";
import { PgMessageStore } from "../internal/adapters/outbound/pg_message_store.ts";

/** A migrated database with users ada (owner of private channel c) and bob (a member). */
function withStore(
  fn: (ctx: { sql: Sql; store: PgMessageStore; ada: string; bob: string }) => Promise<void>,
): Promise<void> {
  return withMigratedDatabase(async (sql) => {
    const [ada, bob] = await sql<{ id: string }[]>`
      insert into users (email, password_hash, display_name)
      values ('ada@example.com', 'x', 'ada'), ('bob@example.com', 'x', 'bob') returning id`;
    await sql`insert into channels (id, kind) values ('c', 'private')`;
    await sql`insert into channel_members (channel_id, user_id, role)
      values ('c', ${ada.id}, 'owner'), ('c', ${bob.id}, 'member')`;
    await fn({ sql, store: new PgMessageStore(sql), ada: ada.id, bob: bob.id });
  });
}

let counter = 0;
function row(
  sender: string,
  body: string,
  event?: { kind: EventKind; target: number },
): AcceptedMessage {
  return {
    id: crypto.randomUUID(),
    channel: "c",
    clientMsgId: `e${++counter}`,
    sender,
    body,
    sentAt: new Date().toISOString(),
    ...event,
  };
}

const page = (store: PgMessageStore) => store.history("c", { upTo: 1_000, limit: 100 });

Deno.test("message events: stored in the sequence, applied to their target, folded in history", async () => {
  await withStore(async ({ store, ada, bob }) => {
    await store.storeBatch([row(ada, "first"), row(bob, "second")]);
    const stored = await store.storeBatch([
      row(ada, "first, edited", { kind: "edit", target: 1 }),
      row(bob, "👍", { kind: "react", target: 1 }),
      row(ada, "👍", { kind: "react", target: 1 }),
      row(bob, "", { kind: "delete", target: 2 }),
    ]);
    // Each event has its own seq, after the messages, and says what it acts on.
    assert.deepEqual(stored.map((m) => [m.seq, m.kind, m.target]), [
      [3, "edit", 1],
      [4, "react", 1],
      [5, "react", 1],
      [6, "delete", 2],
    ]);
    // Recovery reads the raw sequence, events included.
    assert.deepEqual((await store.range("c", 0, 6, 100)).map((m) => m.seq), [1, 2, 3, 4, 5, 6]);
    const [first, second, ...rest] = await page(store);
    assert.equal(rest.length, 0, "history lists messages only");
    assert.equal(first.body, "first, edited");
    assert.ok(first.editedAt);
    assert.deepEqual(first.reactions, [{ emoji: "👍", count: 2, users: [bob, ada] }]);
    assert.equal(second.deleted, true);
    assert.equal(second.body, "");
    assert.equal(second.reactions, undefined);
  });
});

Deno.test("message events: a repeated or late event never undoes a newer one", async () => {
  await withStore(async ({ sql, store, ada, bob }) => {
    await store.storeBatch([row(ada, "text")]);
    const edit1 = row(ada, "v1", { kind: "edit", target: 1 });
    const react = row(bob, "🎉", { kind: "react", target: 1 });
    await store.storeBatch([edit1, react]);
    await store.storeBatch([
      row(ada, "v2", { kind: "edit", target: 1 }),
      row(bob, "🎉", { kind: "unreact", target: 1 }),
    ]);
    // The same log entries again (a re-read, or a retry past the duplicate window).
    const again = await store.storeBatch([{ ...edit1, id: crypto.randomUUID() }, react, react]);
    assert.deepEqual(again.map((m) => m.seq), [2, 3], "stored once, returned as first stored");
    const [m] = await page(store);
    assert.equal(m.body, "v2");
    assert.equal(m.reactions, undefined, "the unreact is newer than the repeated react");
    const [{ count }] = await sql<{ count: number }[]>`select count(*)::int from messages`;
    assert.equal(count, 5);
  });
});

Deno.test("message events: the store applies only what its rules allow", async () => {
  await withStore(async ({ store, ada, bob }) => {
    await store.storeBatch([row(ada, "ada's"), row(bob, "bob's")]);
    await store.storeBatch([
      row(bob, "hijacked", { kind: "edit", target: 1 }), // not the author
      row(bob, "", { kind: "delete", target: 1 }), // neither author nor owner
      row(ada, "", { kind: "delete", target: 2 }), // the owner may
      row(bob, "late", { kind: "edit", target: 2 }), // a tombstone takes no edit
      row(ada, "🙂", { kind: "react", target: 2 }), // nor a reaction
      row(ada, "🙂", { kind: "react", target: 3 }), // an event is no target
    ]);
    const [first, second] = await page(store);
    assert.deepEqual([first.body, first.deleted, first.editedAt], ["ada's", undefined, undefined]);
    assert.deepEqual([second.body, second.deleted, second.reactions], ["", true, undefined]);
    assert.equal(await store.lastSeq("c"), 8, "refused events are still in the sequence");
  });
});

Deno.test("message events: a delete takes the text of its message's edits with it", async () => {
  await withStore(async ({ store, ada }) => {
    await store.storeBatch([row(ada, "secret")]);
    await store.storeBatch([row(ada, "still secret", { kind: "edit", target: 1 })]);
    await store.storeBatch([row(ada, "", { kind: "delete", target: 1 })]);
    // An edit acked before the delete was stored, stored after it.
    await store.storeBatch([row(ada, "late secret", { kind: "edit", target: 1 })]);
    const replay = await store.range("c", 0, 4, 10);
    assert.deepEqual(replay.map((m) => [m.seq, m.kind, m.body]), [
      [1, undefined, ""],
      [2, "edit", ""],
      [3, "delete", ""],
      [4, "edit", ""],
    ]);
  });
});

Deno.test("message events: an edit is delivered as stored, without text its message's delete took", async () => {
  await withStore(async ({ store, ada }) => {
    await store.storeBatch([row(ada, "secret"), row(ada, "another")]);
    // Stored after the delete: the delivered row is the stored one, not what was published.
    await store.storeBatch([row(ada, "", { kind: "delete", target: 1 })]);
    const late = await store.storeBatch([row(ada, "late secret", { kind: "edit", target: 1 })]);
    assert.deepEqual(late.map((m) => [m.seq, m.kind, m.body]), [[4, "edit", ""]]);
    // In one batch with a later delete, beside a message and an edit that stand.
    const same = await store.storeBatch([
      row(ada, "same-batch secret", { kind: "edit", target: 2 }),
      row(ada, "plain"),
      row(ada, "", { kind: "delete", target: 2 }),
    ]);
    assert.deepEqual(same.map((m) => [m.seq, m.kind, m.body]), [
      [5, "edit", ""],
      [6, undefined, "plain"],
      [7, "delete", ""],
    ]);
    const kept = await store.storeBatch([row(ada, "plain, edited", { kind: "edit", target: 6 })]);
    assert.deepEqual(kept.map((m) => [m.seq, m.body]), [[8, "plain, edited"]]);
    // Delivery agrees with the replay.
    const replay = await store.range("c", 3, 8, 10);
    assert.deepEqual(replay.slice(1).map((m) => [m.seq, m.body]), [
      [5, ""],
      [6, "plain, edited"],
      [7, ""],
      [8, "plain, edited"],
    ]);
  });
});

Deno.test("message events: a batch stored again returns its edits as stored, once each", async () => {
  await withStore(async ({ store, ada }) => {
    await store.storeBatch([row(ada, "secret")]);
    const edit = row(ada, "edited", { kind: "edit", target: 1 });
    const del = row(ada, "", { kind: "delete", target: 1 });
    await store.storeBatch([edit]);
    // A re-read after a crash: the edit is stored already, the delete is new.
    const again = await store.storeBatch([edit, del]);
    assert.deepEqual(again.map((m) => [m.seq, m.kind, m.body]), [
      [2, "edit", ""],
      [3, "delete", ""],
    ]);
  });
});

Deno.test("message events: each row and its channel count the ordinary messages so far", async () => {
  await withStore(async ({ sql, store, ada, bob }) => {
    await store.storeBatch([row(ada, "m1"), row(bob, "👍", { kind: "react", target: 1 })]);
    await store.storeBatch([
      row(bob, "m2"),
      row(ada, "m1, edited", { kind: "edit", target: 1 }),
      row(bob, "m3"),
    ]);
    const rows = await sql<{ seq: number; message_count: number }[]>`
      select seq, message_count from messages where channel_id = 'c' order by seq`;
    assert.deepEqual(rows.map((r) => [r.seq, r.message_count]), [[1, 1], [2, 1], [3, 2], [4, 2], [
      5,
      3,
    ]]);
    const [channel] = await sql<{ message_count: number }[]>`
      select message_count from channels where id = 'c'`;
    assert.equal(channel.message_count, 3);
    const through = async (seq: number) =>
      (await sql<{ n: number }[]>`select messages_through('c', ${seq}) as n`)[0].n;
    assert.deepEqual([await through(0), await through(2), await through(4), await through(9)], [
      0,
      1,
      2,
      3,
    ]);
    // Pruned up to seq 3: a marker before what is kept counts from the oldest kept row.
    await sql`delete from messages where channel_id = 'c' and seq <= 3`;
    assert.deepEqual([await through(1), await through(4)], [2, 2]);
  });
});

Deno.test("message events: history pages count messages, not events", async () => {
  await withStore(async ({ store, ada, bob }) => {
    await store.storeBatch([row(ada, "m1"), row(ada, "m2")]);
    await store.storeBatch(
      Array.from({ length: 5 }, () => row(bob, "👍", { kind: "react", target: 2 })),
    );
    await store.storeBatch([row(ada, "m3")]); // seq 8
    const newest = await store.history("c", { upTo: 8, limit: 2 });
    assert.deepEqual(newest.map((m) => m.seq), [2, 8]);
    const forward = await store.history("c", { after: 1, upTo: 8, limit: 2 });
    assert.deepEqual(forward.map((m) => m.seq), [2, 8]);
  });
});

Deno.test("message events: a clientMsgId already stored as a message stays that message", async () => {
  await withStore(async ({ store, bob }) => {
    const first = row(bob, "bob's first");
    await store.storeBatch([first, row(bob, "bob's second")]);
    // The producer lets a stored clientMsgId through as a retry; reused for an edit (of the
    // sender's own other message, which an edit could change), it is still the message it was.
    const [again] = await store.storeBatch([
      { ...first, id: crypto.randomUUID(), body: "changed", kind: "edit", target: 2 },
    ]);
    assert.deepEqual([again.seq, again.kind, again.body], [1, undefined, "bob's first"]);
    const shown = await page(store);
    assert.deepEqual(shown.map((m) => [m.body, m.editedAt]), [
      ["bob's first", undefined],
      ["bob's second", undefined],
    ]);
  });
});
