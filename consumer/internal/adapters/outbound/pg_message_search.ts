import type { Sql } from "../../../../shared/db/postgres.ts";
import { AppError } from "../../../../shared/errors.ts";
import type {
  MessageSearch,
  SearchCursor,
  SearchRequest,
} from "../../domain/ports/message_search.ts";
import type { StoredMessage } from "../../../../shared/domain/message.ts";
import { type Row, toStored } from "./pg_message_store.ts";

/**
 * A search that matches too much to sort within this time is cut off rather than left to load
 * the database; the user narrows it with more words or a channel.
 */
const STATEMENT_TIMEOUT_MS = 3_000;
const QUERY_CANCELED = "57014";

/**
 * Searches `messages` with the GIN index of migration 00013 (the `to_tsvector` expression must
 * stay identical to the index's). Membership is joined in the same statement, so a user who left a
 * channel finds nothing of it from that moment on. Only ordinary messages as they are now: an edit
 * rewrites its target's body in place (found by its new words), a deleted message is not found,
 * and the event rows themselves (edits, deletes, reactions) never are.
 */
export class PgMessageSearch implements MessageSearch {
  constructor(private readonly sql: Sql) {}

  async search(
    { userId, query, channel, after, limit }: SearchRequest,
  ): Promise<{ message: StoredMessage; cursor: SearchCursor }[]> {
    try {
      const rows = await this.sql.begin(async (tx) => {
        await tx.unsafe(`set local statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
        const inChannel = channel === undefined ? tx`` : tx`and m.channel_id = ${channel}`;
        // The cursor's instant as text: the driver would round a timestamptz parameter through a
        // JS Date (milliseconds), and throw on a forged one instead of the database refusing it.
        const older = after === undefined ? tx`` : tx`
          and (m.created_at, m.channel_id, m.seq)
            < (${after.at}::text::timestamptz, ${after.channel}, ${after.seq})`;
        return await tx<(Row & { at: string })[]>`
          select m.channel_id, m.seq, m.id, m.client_msg_id, m.sender_id, m.body, m.created_at,
            m.kind, m.target_seq, m.created_at::text as at
          from messages m
          join channel_members cm on cm.channel_id = m.channel_id and cm.user_id = ${userId}
          where to_tsvector('simple'::regconfig, m.body)
              @@ websearch_to_tsquery('simple'::regconfig, ${query})
            and m.kind = 'message' and m.deleted_at is null
            ${inChannel} ${older}
          order by m.created_at desc, m.channel_id desc, m.seq desc
          limit ${limit}`;
      });
      return rows.map((r) => ({
        message: toStored(r),
        cursor: { at: r.at, channel: r.channel_id, seq: r.seq },
      }));
    } catch (err) {
      if ((err as { code?: string }).code === QUERY_CANCELED) {
        throw new AppError("UNAVAILABLE", "the search took too long: add words or pick a channel");
      }
      // A cursor the database cannot read was forged or mangled.
      if ((err as { code?: string }).code?.startsWith("22")) {
        throw new AppError("INVALID", "bad search cursor");
      }
      throw new AppError("UNAVAILABLE", "message search unavailable");
    }
  }
}
