import type { Sql } from "../../../../shared/db/postgres.ts";
import type { AcceptedMessage, StoredMessage } from "../../../../shared/domain/message.ts";
import {
  type MessageStore,
  StoreError,
  type StoreOutcome,
} from "../../domain/ports/message_store.ts";

interface Row {
  channel_id: string;
  seq: number;
  id: string;
  client_msg_id: string;
  sender_id: string;
  body: string;
  created_at: Date;
}

function toStored(r: Row): StoredMessage {
  return {
    channel: r.channel_id,
    seq: r.seq,
    id: r.id,
    clientMsgId: r.client_msg_id,
    sender: r.sender_id,
    body: r.body,
    sentAt: r.created_at.toISOString(),
  };
}

/**
 * SQLSTATE classes that will fail the same way on every retry: data exceptions (22) and integrity
 * violations (23). Everything else (connection loss, 40P01 deadlock, 57P01 shutdown) is transient.
 */
function classify(err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: string }).code ?? "";
  const message = err instanceof Error ? err.message : String(err);
  return new StoreError(message, /^2[23]/.test(code));
}

export class PgMessageStore implements MessageStore {
  constructor(private readonly sql: Sql) {}

  async storeBatch(messages: AcceptedMessage[]): Promise<StoreOutcome> {
    try {
      return await this.sql.begin(async (tx) => {
        const channels = [...new Set(messages.map((m) => m.channel))].sort();
        // Lock the channels' counters in one fixed order, so concurrent batches on several
        // instances serialise per channel and never deadlock.
        const existing = await tx<{ id: string }[]>`
          select id from channels where id = any(${channels}::text[]) order by id for update`;
        const known = new Set(existing.map((r) => r.id));
        const rejected = messages.filter((m) => !known.has(m.channel))
          .map((message) => ({ message, reason: `channel ${message.channel} does not exist` }));
        const accepted = messages.filter((m) => known.has(m.channel));
        if (accepted.length === 0) return { stored: [], rejected };

        // A fresh statement after the lock: under READ COMMITTED it sees rows committed by the
        // batch we waited for, so the duplicate check below is exact and seqs stay gap-free.
        const inserted = await tx<Row[]>`
          with input as (
            select * from unnest(
              ${accepted.map((m) => m.id)}::uuid[],
              ${accepted.map((m) => m.channel)}::text[],
              ${accepted.map((m) => m.clientMsgId)}::text[],
              ${accepted.map((m) => m.sender)}::uuid[],
              ${accepted.map((m) => m.body)}::text[],
              ${accepted.map((m) => m.sentAt)}::timestamptz[]
            ) with ordinality as t(id, channel_id, client_msg_id, sender_id, body, created_at, ord)
          ), fresh as (
            select distinct on (i.sender_id, i.client_msg_id) i.*
            from input i
            where not exists (
              select 1 from messages m
              where m.sender_id = i.sender_id and m.client_msg_id = i.client_msg_id)
            order by i.sender_id, i.client_msg_id, i.ord
          ), numbered as (
            select f.*, row_number() over (partition by f.channel_id order by f.ord) as rn
            from fresh f
          ), bumped as (
            update channels c set last_seq = c.last_seq + n.cnt
            from (select channel_id, count(*) as cnt from numbered group by channel_id) n
            where c.id = n.channel_id
            returning c.id, c.last_seq - n.cnt as base
          )
          insert into messages (channel_id, seq, id, client_msg_id, sender_id, body, created_at)
          select n.channel_id, b.base + n.rn, n.id, n.client_msg_id, n.sender_id, n.body,
            n.created_at
          from numbered n join bumped b on b.id = n.channel_id
          order by n.ord
          returning channel_id, seq, id, client_msg_id, sender_id, body, created_at`;
        if (inserted.length === accepted.length) {
          return { stored: inserted.map(toStored).sort((a, b) => a.seq - b.seq), rejected };
        }

        // Some were stored before (a redelivery): return those rows too, for re-delivery.
        const all = await tx<Row[]>`
          select m.channel_id, m.seq, m.id, m.client_msg_id, m.sender_id, m.body, m.created_at
          from messages m
          join unnest(
            ${accepted.map((m) => m.sender)}::uuid[], ${accepted.map((m) => m.clientMsgId)}::text[]
          ) as k(sender_id, client_msg_id)
            on m.sender_id = k.sender_id and m.client_msg_id = k.client_msg_id
          order by m.channel_id, m.seq`;
        return { stored: all.map(toStored), rejected };
      });
    } catch (err) {
      throw classify(err);
    }
  }

  async range(
    channel: string,
    afterSeq: number,
    upToSeq: number,
    limit: number,
  ): Promise<StoredMessage[]> {
    const rows = await this.sql<Row[]>`
      select channel_id, seq, id, client_msg_id, sender_id, body, created_at
      from messages
      where channel_id = ${channel} and seq > ${afterSeq} and seq <= ${upToSeq}
      order by seq limit ${limit}`;
    return rows.map(toStored);
  }

  async lastSeq(channel: string): Promise<number> {
    const [row] = await this.sql<{ last_seq: number }[]>`
      select last_seq from channels where id = ${channel}`;
    return row?.last_seq ?? 0;
  }

  async lastSeqs(channels: string[]): Promise<Map<string, number>> {
    const rows = await this.sql<{ id: string; last_seq: number }[]>`
      select id, last_seq from channels where id = any(${channels}::text[])`;
    return new Map(rows.map((r) => [r.id, r.last_seq]));
  }

  async firstSeq(channel: string): Promise<number> {
    const [row] = await this.sql<{ first: number }[]>`
      select coalesce(
        (select min(seq) from messages where channel_id = ${channel}),
        (select last_seq + 1 from channels where id = ${channel}),
        1) as first`;
    return row.first;
  }
}
