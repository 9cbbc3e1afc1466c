import { storeCall } from "../../../../shared/db/store_call.ts";
import type { Sql } from "../../../../shared/db/postgres.ts";
import type { MemberRole } from "../../domain/ports/channel_directory.ts";
import type { ChannelRoster, Member } from "../../domain/ports/channel_roster.ts";

/** Members from PostgreSQL (table `channel_members`). */
export class PgChannelRoster implements ChannelRoster {
  constructor(private readonly sql: Sql) {}

  async members(channel: string, limit: number): Promise<{ members: Member[]; total: number }> {
    const rows = await storeCall(
      "channel directory unavailable",
      () =>
        this.sql<{ user_id: string; role: MemberRole; total: number }[]>`
          select user_id, role, count(*) over ()::int as total from channel_members
          where channel_id = ${channel} order by joined_at, user_id limit ${limit}`,
    );
    return {
      members: rows.map((r) => ({ userId: r.user_id, role: r.role })),
      total: rows[0]?.total ?? 0,
    };
  }
}
