import { storeCall } from "../../../../shared/db/store_call.ts";
import type { Sql } from "../../../../shared/db/postgres.ts";
import { DIRECT_CHANNEL_PREFIX } from "../../../../shared/domain/channel.ts";
import { AppError } from "../../../../shared/errors.ts";
import type { ChannelAccess } from "../../../../shared/ports/channel_access.ts";

const QUERY_TIMEOUT_MS = 15_000;
const MAX_REMEMBERED = 50_000;

/**
 * What a backend may publish to: any channel, as any existing user. No membership is checked (the
 * API key's publish scope is the permission), but the message must be storable: its sender must
 * exist and its channel too (a new one is created public, as a client's first publish does; a
 * direct channel is never made up). Both answers stay true, so they are remembered.
 */
export class PgServerPublishAccess implements ChannelAccess {
  private readonly known = new Set<string>();

  constructor(private readonly sql: Sql) {}

  async authorize(sender: string, channel: string): Promise<void> {
    const userKey = `user\n${sender}`;
    const channelKey = `channel\n${channel}`;
    if (!this.known.has(userKey)) {
      const rows = await this.query(() => this.sql`select 1 from users where id = ${sender}`);
      if (rows.length === 0) throw new AppError("NOT_FOUND", `no user ${sender}`);
      this.remember(userKey);
    }
    if (!this.known.has(channelKey)) {
      const rows = await this.query(() =>
        channel.startsWith(DIRECT_CHANNEL_PREFIX)
          ? this.sql`select 1 from channels where id = ${channel}`
          : this.sql`
            insert into channels (id, kind, created_by) values (${channel}, 'public', ${sender})
            on conflict (id) do update set id = excluded.id returning 1`
      );
      if (rows.length === 0) throw new AppError("NOT_FOUND", `no channel ${channel}`);
      this.remember(channelKey);
    }
  }

  private remember(key: string): void {
    if (this.known.size >= MAX_REMEMBERED) this.known.delete(this.known.values().next().value!);
    this.known.add(key);
  }

  private query<T>(fn: () => Promise<T>): Promise<T> {
    return storeCall("channel directory unavailable", fn, QUERY_TIMEOUT_MS);
  }
}
