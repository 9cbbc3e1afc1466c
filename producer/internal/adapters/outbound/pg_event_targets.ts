import { storeCall } from "../../../../shared/db/store_call.ts";
import type { Sql } from "../../../../shared/db/postgres.ts";
import type { EventTargets, TargetLookup } from "../../domain/ports/event_targets.ts";

interface Row {
  sender_id: string | null;
  kind: string | null;
  deleted: boolean | null;
  owns: boolean;
  stored: boolean;
}

/** An event's target and the caller's standing, read from PostgreSQL in one query (not cached). */
export class PgEventTargets implements EventTargets {
  constructor(private readonly sql: Sql, private readonly timeoutMs: number) {}

  async lookup(
    userId: string,
    channel: string,
    target: number,
    clientMsgId: string,
  ): Promise<TargetLookup> {
    const [row] = await storeCall(
      "message store unavailable, retry",
      () =>
        this.sql<Row[]>`
          select m.sender_id, m.kind, m.deleted_at is not null as deleted,
            exists(select 1 from channel_members o where o.channel_id = ${channel}
              and o.user_id = ${userId} and o.role = 'owner') as owns,
            exists(select 1 from messages d where d.sender_id = ${userId}
              and d.channel_id = ${channel} and d.client_msg_id = ${clientMsgId}) as stored
          from (select 1) one
          left join messages m on m.channel_id = ${channel} and m.seq = ${target}`,
      this.timeoutMs,
    );
    return {
      target: row.sender_id === null ? undefined : {
        sender: row.sender_id,
        isEvent: row.kind !== "message",
        deleted: row.deleted === true,
      },
      callerOwns: row.owns,
      alreadyStored: row.stored,
    };
  }
}
