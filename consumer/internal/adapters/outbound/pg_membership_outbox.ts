import type { Sql } from "../../../../shared/db/postgres.ts";
import type { ChannelEvent } from "../../../../shared/domain/channel_event.ts";
import type { EventOutbox } from "../../domain/ports/event_outbox.ts";

/** One relay at a time over every instance: two would put a channel's events out of order. */
const RELAY_LOCK = "membership_events relay";

/**
 * The outbox of migration 00015: `membership_events` rows, written by a trigger on
 * `channel_members` in the transaction of the change. The relay holds a transaction-scoped
 * advisory lock while it publishes, and deletes the rows it handed over in that transaction.
 */
export class PgMembershipOutbox implements EventOutbox {
  constructor(private readonly sql: Sql) {}

  relay(max: number, publish: (events: ChannelEvent[]) => Promise<void>): Promise<number> {
    return this.sql.begin(async (tx) => {
      const [{ locked }] = await tx<{ locked: boolean }[]>`
        select pg_try_advisory_xact_lock(hashtextextended(${RELAY_LOCK}, 0)) as locked`;
      if (!locked) return 0;
      const rows = await tx<
        { id: string; channel_id: string; user_id: string; change: "added" | "removed"; at: Date }[]
      >`
        select id, channel_id, user_id, change, at from membership_events
        order by id limit ${max}`;
      if (rows.length === 0) return 0;
      await publish(rows.map((r) => ({
        id: `evt_member_${r.id}`,
        type: r.change === "added" ? "channel.member_added" : "channel.member_removed",
        channel: r.channel_id,
        at: r.at.toISOString(),
        data: { userId: r.user_id },
      })));
      await tx`delete from membership_events where id <= ${rows[rows.length - 1].id}`;
      return rows.length;
    });
  }
}
