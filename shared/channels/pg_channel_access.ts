import { withDeadline } from "../async/deadline.ts";
import type { Sql } from "../db/postgres.ts";
import { type ChannelKind, DIRECT_CHANNEL_PREFIX } from "../domain/channel.ts";
import { AppError } from "../errors.ts";
import type { ChannelAccess } from "../ports/channel_access.ts";

/** A small TTL cache bounded in entries; the oldest entry goes first when full. */
class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  constructor(private readonly ttlMs: number, private readonly maxEntries: number) {}

  /** The fresh value, or with `stale` also an expired one (kept, bounded, for outages). */
  get(key: string, { stale = false } = {}): V | undefined {
    const e = this.entries.get(key);
    if (!e || (!stale && e.expires < Date.now())) return undefined;
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

const QUERY_TIMEOUT_MS = 15_000;

/**
 * An expired answer is still given at once while a fresh one is read in the background (one read
 * per key at a time): a slow or stopped PostgreSQL never holds up publishing to channels already
 * seen, and JetStream keeps the messages until the consumer can store them.
 */
class Refresher {
  private readonly inFlight = new Set<string>();

  staleOr<T>(key: string, known: T | undefined, load: () => Promise<T>): Promise<T> {
    if (known === undefined) return load();
    if (!this.inFlight.has(key)) {
      this.inFlight.add(key);
      load().catch(() => {}).finally(() => this.inFlight.delete(key));
    }
    return Promise.resolve(known);
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
  private readonly refresher = new Refresher();

  constructor(private readonly sql: Sql, ttlMs = 5_000, maxEntries = 50_000) {
    this.kinds = new TtlCache(ttlMs, maxEntries);
    this.members = new TtlCache(ttlMs, maxEntries);
  }

  /** Drops a cached membership at once (it was revoked), instead of after the TTL. */
  forget(channel: string, userId: string): void {
    this.members.delete(`${channel}\n${userId}`);
  }

  async authorize(userId: string, channel: string): Promise<void> {
    const kind = this.kinds.get(channel) ?? await this.refresher.staleOr(
      `kind\n${channel}`,
      this.kinds.get(channel, { stale: true }),
      () => this.loadKind(userId, channel),
    );
    if (kind === "public") return;
    const key = `${channel}\n${userId}`;
    const member = this.members.get(key) ?? await this.refresher.staleOr(
      `member\n${key}`,
      this.members.get(key, { stale: true }),
      () => this.loadMember(userId, channel, key),
    );
    if (!member) throw new AppError("FORBIDDEN", `not a member of channel ${channel}`);
  }

  private async loadMember(userId: string, channel: string, key: string): Promise<boolean> {
    const member = await this.query(async () =>
      (await this.sql`
        select 1 from channel_members where channel_id = ${channel} and user_id = ${userId}`)
        .length > 0
    );
    if (member) this.members.set(key, member);
    else this.members.delete(key);
    return member;
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

  /** Bounded too: a subscribe or publish never waits on a stalled database for good. */
  private async query<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(fn(), QUERY_TIMEOUT_MS, () => new Error("timed out"));
    } catch {
      throw new AppError("UNAVAILABLE", "channel directory unavailable");
    }
  }
}
