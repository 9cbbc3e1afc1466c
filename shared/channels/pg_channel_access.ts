import type { Sql } from "../db/postgres.ts";
import { type ChannelKind, DIRECT_CHANNEL_PREFIX } from "../domain/channel.ts";
import { AppError } from "../errors.ts";
import type { ChannelAccess } from "../ports/channel_access.ts";

/** A small TTL cache bounded in entries; the oldest entry goes first when full. */
class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  constructor(private readonly ttlMs: number, private readonly maxEntries: number) {}

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  set(key: string, value: V): void {
    if (this.entries.size >= this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, { value, expires: Date.now() + this.ttlMs });
  }
}

/**
 * Channel kind and membership from PostgreSQL, cached for a few seconds so the hot publish path
 * rarely touches the database. Only "is a member" is cached: a member just added is let in at
 * once, and a revoked membership takes effect within `ttlMs`.
 */
export class PgChannelAccess implements ChannelAccess {
  private readonly kinds: TtlCache<ChannelKind>;
  private readonly members: TtlCache<boolean>;

  constructor(private readonly sql: Sql, ttlMs = 5_000, maxEntries = 50_000) {
    this.kinds = new TtlCache(ttlMs, maxEntries);
    this.members = new TtlCache(ttlMs, maxEntries);
  }

  /** Drops a cached membership at once (it was revoked), instead of after the TTL. */
  forget(channel: string, userId: string): void {
    this.members.delete(`${channel}\n${userId}`);
  }

  async authorize(userId: string, channel: string): Promise<void> {
    const kind = this.kinds.get(channel) ?? await this.loadKind(userId, channel);
    if (kind === "public") return;
    const key = `${channel}\n${userId}`;
    let member = this.members.get(key);
    if (member === undefined) {
      member = await this.query(async () =>
        (await this.sql`
          select 1 from channel_members where channel_id = ${channel} and user_id = ${userId}`)
          .length > 0
      );
      if (member) this.members.set(key, member);
    }
    if (!member) throw new AppError("FORBIDDEN", `not a member of channel ${channel}`);
  }

  private async loadKind(userId: string, channel: string): Promise<ChannelKind> {
    // Direct channel ids are reserved: one that does not exist yet is nobody's to create here.
    const reserved = channel.startsWith(DIRECT_CHANNEL_PREFIX);
    const kind = await this.query(async () => {
      if (reserved) {
        const [row] = await this.sql<{ kind: ChannelKind }[]>`
          select kind from channels where id = ${channel}`;
        return row?.kind;
      }
      const [row] = await this.sql<{ kind: ChannelKind }[]>`
        with created as (
          insert into channels (id, kind, created_by) values (${channel}, 'public', ${userId})
          on conflict (id) do nothing returning kind
        )
        select kind from created union all select kind from channels where id = ${channel}`;
      if (row) return row.kind;
      // Lost a race with a concurrent first use: our snapshot predates the winner's row, which
      // is committed by now (the insert waited for it), so a fresh statement sees it.
      const [winner] = await this.sql<{ kind: ChannelKind }[]>`
        select kind from channels where id = ${channel}`;
      return winner.kind;
    });
    if (!kind) throw new AppError("FORBIDDEN", `not a member of channel ${channel}`);
    this.kinds.set(channel, kind);
    return kind;
  }

  private async query<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch {
      throw new AppError("UNAVAILABLE", "channel directory unavailable");
    }
  }
}
