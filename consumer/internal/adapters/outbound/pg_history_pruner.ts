import type { Sql } from "../../../../shared/db/postgres.ts";
import type { HistoryPruner, RetentionRule } from "../../domain/ports/history_pruner.ts";

/**
 * Prunes `messages` a bounded batch at a time. A namespace's channels are the ids from `ns:` up to
 * `ns;` (';' follows ':'), a range of the primary key. The channel's last_seq stays: seqs go on,
 * and a subscriber recovering from before the oldest kept message is told `recovered: false`.
 */
export class PgHistoryPruner implements HistoryPruner {
  constructor(private readonly sql: Sql) {}

  async prune(namespace: string, rule: RetentionRule, limit: number): Promise<number> {
    const sql = this.sql;
    const beyondCount = rule.maxCount === undefined
      ? sql`false`
      : sql`m.seq <= c.last_seq - ${rule.maxCount}`;
    const tooOld = rule.maxAgeSeconds === undefined
      ? sql`false`
      : sql`m.created_at < now() - make_interval(secs => ${rule.maxAgeSeconds})`;
    const deleted = await sql`
      with doomed as (
        select m.channel_id, m.seq from messages m join channels c on c.id = m.channel_id
        where m.channel_id >= ${`${namespace}:`} and m.channel_id < ${`${namespace};`}
          and (${beyondCount} or ${tooOld})
        limit ${limit})
      delete from messages m using doomed d
      where m.channel_id = d.channel_id and m.seq = d.seq`;
    return deleted.count;
  }
}
