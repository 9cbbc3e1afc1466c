import type postgres from "postgres";
import { sleep } from "../shared/async/sleep.ts";
import type { Ledger } from "./load.ts";
import type { LoadClient } from "./load_client.ts";

/** One line of the report. */
export interface ScenarioResult {
  scenario: string;
  sent: number;
  acked: number;
  /** Of those acked, edits, deletes and reactions: their effects checked (event_effects.ts). */
  events: number;
  stored: number;
  delivered: number;
  lost: number;
  duplicated: number;
  /** From the fault healed to a message published then reaching every subscriber (ms). */
  recoverMs?: number;
  /** Every broken promise found, in words; empty when the scenario passed. */
  violations: string[];
}

interface Row {
  channel_id: string;
  seq: number;
  client_msg_id: string;
}

async function storedRows(sql: postgres.Sql, channels: string[]): Promise<Row[]> {
  return await sql<Row[]>`
    select channel_id, seq::int as seq, client_msg_id from messages
    where channel_id = any(${channels}) order by channel_id, seq`;
}

/**
 * Waits until PostgreSQL holds every acked message and every subscriber has reached the head of
 * each of its channels (or `timeoutMs` passes: what is missing then is reported as lost).
 */
export async function converge(
  sql: postgres.Sql,
  ledger: Ledger,
  subscribers: LoadClient[],
  channels: string[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rows = await storedRows(sql, channels).catch(() => undefined);
    if (rows) {
      const stored = new Set(rows.map((r) => r.client_msg_id));
      const head = new Map<string, number>();
      for (const r of rows) head.set(r.channel_id, Math.max(head.get(r.channel_id) ?? 0, r.seq));
      const allStored = [...ledger.acked.keys()].every((id) => stored.has(id));
      const allSeen = subscribers.every((s) =>
        s.channels.every((c) => s.reached(c, head.get(c) ?? 0))
      );
      if (allStored && allSeen) return;
    }
    await sleep(200);
  }
}

/**
 * Per publisher, in seq order: a message sent only after an earlier-stored message of the same
 * publisher had been acked is in order; one sent after the ack of a message stored *after* it
 * broke the sender's order. Counts those.
 */
function senderOrderBreaks(rows: Row[], ledger: Ledger): number {
  const latestSentSoFar = new Map<number, number>();
  let breaks = 0;
  for (const r of rows) {
    const t = ledger.timeline.get(r.client_msg_id);
    if (!t) continue;
    const before = latestSentSoFar.get(t.publisher) ?? 0;
    if (t.acked !== undefined && before > t.acked) breaks++;
    latestSentSoFar.set(t.publisher, Math.max(before, t.sent));
  }
  return breaks;
}

/**
 * The promises the system makes, checked against PostgreSQL and what the subscribers saw:
 * every acked clientMsgId stored exactly once; per channel, seqs 1..n with no gap and each sender's
 * messages in the order they were acked; every
 * subscriber saw every message of its channels exactly once, in seq order. Edits, deletes and
 * reactions are rows of the same sequence, held to the same promises.
 */
export async function reconcile(
  scenario: string,
  sql: postgres.Sql,
  ledger: Ledger,
  subscribers: LoadClient[],
  channels: string[],
  recoverMs?: number,
): Promise<ScenarioResult> {
  const rows = await storedRows(sql, channels);
  const violations: string[] = [];
  const copies = new Map<string, number>();
  for (const r of rows) copies.set(r.client_msg_id, (copies.get(r.client_msg_id) ?? 0) + 1);

  let lost = 0;
  let duplicated = 0;
  let stored = 0;
  for (const id of ledger.acked.keys()) {
    const n = copies.get(id) ?? 0;
    if (n === 0) lost++;
    else stored++;
  }
  if (lost) violations.push(`${lost} acked messages are not in PostgreSQL`);
  for (const [id, n] of copies) {
    if (n > 1) {
      duplicated += n - 1;
      violations.push(`${id} stored ${n} times`);
    }
    if (!ledger.sent.has(id)) violations.push(`${id} stored but never sent`);
  }

  const byChannel = new Map<string, Row[]>();
  for (const r of rows) byChannel.set(r.channel_id, [...(byChannel.get(r.channel_id) ?? []), r]);
  for (const [channel, list] of byChannel) {
    const gapFree = list.every((r, i) => r.seq === i + 1);
    if (!gapFree) violations.push(`${channel}: stored seqs are not 1..${list.length}`);
    const reordered = senderOrderBreaks(list, ledger);
    if (reordered) {
      violations.push(`${channel}: ${reordered} messages stored before one their sender had acked`);
    }
  }

  let delivered = 0;
  subscribers.forEach((s, si) => {
    for (const channel of s.channels) {
      const log = s.logs.get(channel)!;
      const expected = byChannel.get(channel) ?? [];
      delivered += log.seqs.length;
      const seen = new Set(log.seqs);
      const missing = expected.filter((r) => !seen.has(r.seq)).length;
      const repeats = log.seqs.length - seen.size;
      lost += missing;
      duplicated += repeats;
      if (missing) violations.push(`subscriber ${si} missed ${missing} messages of ${channel}`);
      if (repeats) violations.push(`subscriber ${si} got ${repeats} duplicates on ${channel}`);
      if (log.gaps) violations.push(`subscriber ${si} saw ${log.gaps} gaps on ${channel}`);
      if (log.unrecovered) violations.push(`subscriber ${si}: recovered:false on ${channel}`);
      const inOrder = log.seqs.every((seq, i) => i === 0 || seq > log.seqs[i - 1]);
      if (!inOrder) violations.push(`subscriber ${si} saw ${channel} out of seq order`);
      const mismatched = log.seqs.filter((seq, i) =>
        expected[seq - 1] && expected[seq - 1].client_msg_id !== log.clientMsgIds[i]
      ).length;
      if (mismatched) {
        violations.push(`subscriber ${si}: ${mismatched} frames of ${channel} differ from rows`);
      }
    }
  });
  if (ledger.rejected.length) {
    violations.push(`${ledger.rejected.length} publishes refused: ${ledger.rejected[0]}`);
  }
  return {
    scenario,
    sent: ledger.sent.size,
    acked: ledger.acked.size,
    events: 0,
    stored,
    delivered,
    lost,
    duplicated,
    recoverMs,
    violations,
  };
}
