import type postgres from "postgres";
import type { Ledger, LoadEvent } from "./load.ts";

interface Target {
  channel_id: string;
  seq: number;
  body: string;
  deleted: boolean;
  edited_seq: number | null;
}

interface EventRow {
  channel_id: string;
  seq: number;
  client_msg_id: string;
  kind: string;
  target_seq: number;
  sender_id: string;
  body: string;
}

/**
 * What the load's acknowledged edits, deletes and reactions did, checked where history reads it
 * (the message rows and `message_reactions`): an acked delete left a tombstone, with no text left
 * in its edits and no reactions; otherwise the text is that of the acked edit stored last, and
 * every acked reaction is there. The ledger checks (stored once, no gap, sender order, delivered)
 * cover the events as rows of the sequence already; these are the effects. Returns the
 * violations and how many acked events were checked.
 */
export async function eventEffects(
  sql: postgres.Sql,
  ledger: Ledger,
  channels: string[],
): Promise<{ checked: number; violations: string[] }> {
  const acked = [...ledger.events].filter(([id]) => ledger.acked.has(id));
  if (acked.length === 0) return { checked: 0, violations: [] };
  const [targets, events, reactions] = await Promise.all([
    sql<Target[]>`
      select channel_id, seq::int as seq, body, deleted_at is not null as deleted,
        edited_seq::int as edited_seq
      from messages where channel_id = any(${channels}) and kind = 'message'`,
    sql<EventRow[]>`
      select channel_id, seq::int as seq, client_msg_id, kind, target_seq::int as target_seq,
        sender_id::text as sender_id, body
      from messages where channel_id = any(${channels}) and kind <> 'message'`,
    sql<{ channel_id: string; seq: number; user_id: string; reaction: string }[]>`
      select channel_id, seq::int as seq, user_id::text as user_id, reaction
      from message_reactions where channel_id = any(${channels}) and present`,
  ]);
  const key = (channel: string, seq: number) => `${channel}#${seq}`;
  const targetAt = new Map(targets.map((t) => [key(t.channel_id, t.seq), t]));
  const eventRow = new Map(events.map((e) => [e.client_msg_id, e]));
  const reacted = new Set(
    reactions.map((r) => `${key(r.channel_id, r.seq)}:${r.user_id}:${r.reaction}`),
  );
  const reactedOn = new Set(reactions.map((r) => key(r.channel_id, r.seq)));

  // Each target's acked events, in stored order.
  const byTarget = new Map<string, { event: LoadEvent; row: EventRow }[]>();
  const violations: string[] = [];
  for (const [id, event] of acked) {
    const row = eventRow.get(id);
    if (!row) continue; // not stored: the ledger check reports it
    if (row.target_seq !== event.target) {
      violations.push(`${id}: stored on seq ${row.target_seq}, published on ${event.target}`);
    }
    const k = key(event.channel, event.target);
    byTarget.set(k, [...(byTarget.get(k) ?? []), { event, row }]);
  }
  for (const [k, list] of byTarget) {
    const target = targetAt.get(k);
    if (!target) {
      violations.push(`${k}: acked events on a message that is not stored`);
      continue;
    }
    list.sort((a, b) => a.row.seq - b.row.seq);
    const edits = list.filter((e) => e.event.kind === "edit");
    if (list.some((e) => e.event.kind === "delete")) {
      if (!target.deleted || target.body !== "") {
        violations.push(`${k}: acked delete, no tombstone`);
      }
      const textLeft = events.some((e) =>
        e.kind === "edit" && key(e.channel_id, e.target_seq) === k && e.body !== ""
      );
      if (textLeft) violations.push(`${k}: a deleted message's edit kept its text`);
      if (reactedOn.has(k)) violations.push(`${k}: a deleted message kept its reactions`);
      continue;
    }
    const last = edits.at(-1);
    if (last && (target.body !== last.event.body || target.edited_seq !== last.row.seq)) {
      violations.push(
        `${k}: shows "${target.body}", not its last acked edit (seq ${last.row.seq})`,
      );
    }
    for (const { event, row } of list) {
      if (event.kind === "react" && !reacted.has(`${k}:${row.sender_id}:${event.body}`)) {
        violations.push(`${k}: the acked reaction at seq ${row.seq} is missing`);
      }
    }
  }
  return { checked: acked.length, violations };
}
