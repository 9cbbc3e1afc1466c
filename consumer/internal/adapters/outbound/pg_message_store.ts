import { withDeadline } from "../../../../shared/async/deadline.ts";
import type { Sql } from "../../../../shared/db/postgres.ts";
import type {
  AcceptedMessage,
  HistoryMessage,
  StoredMessage,
} from "../../../../shared/domain/message.ts";
import type { EventKind, Reaction } from "../../../../shared/domain/message_event.ts";
import {
  FencedError,
  type HistoryRange,
  type MessageStore,
  type PartitionFence,
  StoreError,
} from "../../domain/ports/message_store.ts";

/** A `messages` row as the store and search select it. */
export interface Row {
  channel_id: string;
  seq: number;
  id: string;
  client_msg_id: string;
  sender_id: string;
  body: string;
  created_at: Date;
  kind: "message" | EventKind;
  target_seq: number | null;
}

interface HistoryRow extends Row {
  edited_at: Date | null;
  deleted_at: Date | null;
}

export function toStored(r: Row): StoredMessage {
  const message: StoredMessage = {
    channel: r.channel_id,
    seq: r.seq,
    id: r.id,
    clientMsgId: r.client_msg_id,
    sender: r.sender_id,
    body: r.body,
    sentAt: r.created_at.toISOString(),
  };
  if (r.kind !== "message") {
    message.kind = r.kind;
    message.target = r.target_seq!;
  }
  return message;
}

const COLUMNS = [
  "channel_id",
  "seq",
  "id",
  "client_msg_id",
  "sender_id",
  "body",
  "created_at",
  "kind",
  "target_seq",
];

/** Raised by advance_persist_offset (migrations/00005) when a partition's offset moved. */
const FENCED_SQLSTATE = "RT409";

/**
 * SQLSTATE classes that will fail the same way on every retry: data exceptions (22) and integrity
 * violations (23). Everything else (connection loss, 40P01 deadlock, 57P01 shutdown) is transient.
 */
function classify(err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: string }).code ?? "";
  const message = err instanceof Error ? err.message : String(err);
  if (code === FENCED_SQLSTATE) return new FencedError(message);
  return new StoreError(message, /^2[23]/.test(code));
}

/**
 * No query waits longer than this: a database that stalls (or a dead connection noticed late) must
 * not hold a subscription's gap fill or the persist loop for good. A timed-out query fails as a
 * transient StoreError; the caller retries.
 */
const QUERY_TIMEOUT_MS = 15_000;

export class PgMessageStore implements MessageStore {
  constructor(private readonly sql: Sql, private readonly timeoutMs = QUERY_TIMEOUT_MS) {}

  /** Every query: bounded in time, and failing only with a classified StoreError. */
  private async bounded<T>(query: Promise<T>): Promise<T> {
    try {
      return await withDeadline(
        query,
        this.timeoutMs,
        () => new StoreError(`PostgreSQL did not answer within ${this.timeoutMs} ms`, false),
      );
    } catch (err) {
      throw classify(err);
    }
  }

  async storeBatch(
    messages: AcceptedMessage[],
    fences: readonly PartitionFence[] = [],
  ): Promise<StoredMessage[]> {
    // One round trip (sql/store_message_batch.sql, fences by migration 00016): the fences, lock,
    // dedupe, numbering and insert run inside PostgreSQL. The batch travels as one JSON text.
    const batch = JSON.stringify(messages.map((m) => ({
      id: m.id,
      channel_id: m.channel,
      client_msg_id: m.clientMsgId,
      sender_id: m.sender,
      body: m.body,
      created_at: m.sentAt,
      // Events only: a batch of plain messages costs the function no event probe.
      ...(m.kind ? { kind: m.kind, target_seq: m.target } : {}),
    })));
    const moves = JSON.stringify(
      fences.map((f) => ({ log: f.log, part: f.partition, expected: f.expected, next: f.next })),
    );
    const rows = await this.bounded(
      fences.length
        ? this.sql<Row[]>`select * from persist_partition_batches(${batch}::text::json,
            ${moves}::text::json)`
        : this.sql<Row[]>`select * from store_message_batch(${batch}::text::json)`,
    );
    // After a partial insert the function returns the batch's rows a second time: keep one each.
    const byKey = new Map(
      rows.map((r) => [`${r.sender_id}:${r.channel_id}:${r.client_msg_id}`, r]),
    );
    return [...byKey.values()].map(toStored).sort((a, b) => a.seq - b.seq);
  }

  async advanceOffset(fence: PartitionFence): Promise<void> {
    await this.bounded(this.sql`select advance_persist_offset(
      ${fence.log}, ${fence.partition}, ${fence.expected}, ${fence.next})`);
  }

  async offset(log: string, partition: number): Promise<number> {
    const [row] = await this.bounded(this.sql<{ stream_seq: number }[]>`
      select stream_seq from persist_offsets where log_id = ${log} and partition = ${partition}`);
    return row?.stream_seq ?? 0;
  }

  async range(
    channel: string,
    afterSeq: number,
    upToSeq: number,
    limit: number,
  ): Promise<StoredMessage[]> {
    const rows = await this.bounded(this.sql<Row[]>`
      select ${this.sql(COLUMNS)}
      from messages
      where channel_id = ${channel} and seq > ${afterSeq} and seq <= ${upToSeq}
      order by seq limit ${limit}`);
    return rows.map(toStored);
  }

  async history(channel: string, { after, upTo, limit }: HistoryRange): Promise<HistoryMessage[]> {
    // Messages only (their events are folded into them), so a page may span a wider seq range.
    const rows = await this.bounded(
      after === undefined
        ? this.sql<HistoryRow[]>`
          select * from (
            select ${this.sql(COLUMNS)}, edited_at, deleted_at from messages
            where channel_id = ${channel} and seq <= ${upTo} and kind = 'message'
            order by seq desc limit ${limit}) newest
          order by seq`
        : this.sql<HistoryRow[]>`
          select ${this.sql(COLUMNS)}, edited_at, deleted_at from messages
          where channel_id = ${channel} and seq > ${after} and seq <= ${upTo}
            and kind = 'message'
          order by seq limit ${limit}`,
    );
    const reactions = await this.reactionsOf(channel, rows.map((r) => r.seq));
    return rows.map((r) => {
      const m: HistoryMessage = toStored(r);
      if (r.edited_at) m.editedAt = r.edited_at.toISOString();
      if (r.deleted_at) m.deleted = true;
      const given = reactions.get(r.seq);
      if (given) m.reactions = given;
      return m;
    });
  }

  /** Each message's reactions, by seq, with who gave them (in the order they did). */
  private async reactionsOf(channel: string, seqs: number[]): Promise<Map<number, Reaction[]>> {
    const byMessage = new Map<number, Reaction[]>();
    if (seqs.length === 0) return byMessage;
    const rows = await this.bounded(
      this.sql<{ seq: number; reaction: string; users: string[] }[]>`
        select seq, reaction, array_agg(user_id::text order by event_seq) as users
        from message_reactions
        where channel_id = ${channel} and seq = any(${seqs}::bigint[]) and present
        group by seq, reaction
        order by seq, min(event_seq)`,
    );
    for (const r of rows) {
      const list = byMessage.get(r.seq) ?? [];
      list.push({ emoji: r.reaction, count: r.users.length, users: r.users });
      byMessage.set(r.seq, list);
    }
    return byMessage;
  }

  async lastSeq(channel: string): Promise<number> {
    const [row] = await this.bounded(this.sql<{ last_seq: number }[]>`
      select last_seq from channels where id = ${channel}`);
    return row?.last_seq ?? 0;
  }

  async lastSeqs(channels: string[]): Promise<Map<string, number>> {
    const rows = await this.bounded(this.sql<{ id: string; last_seq: number }[]>`
      select id, last_seq from channels where id = any(${channels}::text[])`);
    return new Map(rows.map((r) => [r.id, r.last_seq]));
  }

  async firstSeq(channel: string): Promise<number> {
    const [row] = await this.bounded(this.sql<{ first: number }[]>`
      select coalesce(
        (select min(seq) from messages where channel_id = ${channel}),
        (select last_seq + 1 from channels where id = ${channel}),
        1) as first`);
    return row.first;
  }
}
