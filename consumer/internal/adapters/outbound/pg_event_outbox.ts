import type { Sql } from "../../../../shared/db/postgres.ts";
import type { ChannelEvent } from "../../../../shared/domain/channel_event.ts";
import type { EventOutbox } from "../../domain/ports/event_outbox.ts";

/** One relay at a time over every instance: two would put a channel's events out of order. */
const RELAY_LOCK = "event_outbox relay";

/**
 * The outbox of migration 00015: `event_outbox` rows, written by triggers on `channel_members`
 * and on the presence tables in the transaction of the change. The relay holds a
 * transaction-scoped advisory lock while it publishes, and deletes the rows it handed over in
 * that transaction.
 */
export class PgEventOutbox implements EventOutbox {
  constructor(private readonly sql: Sql) {}

  relay(max: number, publish: (events: ChannelEvent[]) => Promise<void>): Promise<number> {
    return this.sql.begin(async (tx) => {
      const [{ locked }] = await tx<{ locked: boolean }[]>`
        select pg_try_advisory_xact_lock(hashtextextended(${RELAY_LOCK}, 0)) as locked`;
      if (!locked) return 0;
      const rows = await tx<
        {
          id: string;
          type: ChannelEvent["type"];
          channel_id: string | null;
          user_id: string;
          at: Date;
        }[]
      >`
        select id, type, channel_id, user_id, at from event_outbox
        order by id limit ${max}`;
      if (rows.length === 0) return 0;
      await publish(rows.map((r) => ({
        id: `evt_${r.id}`,
        type: r.type,
        ...(r.channel_id === null ? {} : { channel: r.channel_id }),
        at: r.at.toISOString(),
        data: { userId: r.user_id },
      })));
      await tx`delete from event_outbox where id <= ${rows[rows.length - 1].id}`;
      return rows.length;
    });
  }
}
