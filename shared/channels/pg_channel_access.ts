import { storeCall } from "../db/store_call.ts";
import type { Sql } from "../db/postgres.ts";
import { type ChannelKind, DIRECT_CHANNEL_PREFIX } from "../domain/channel.ts";
import { channelQuotaError, notMemberError } from "./errors.ts";
import type { AccessCache, ChannelAccess } from "../ports/channel_access.ts";

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
 * How long an expired membership waits for PostgreSQL before its last answer is used instead:
 * long enough for a working database, short enough that an outage does not hold up publishing.
 */
const RELOAD_TIMEOUT_MS = 1_000;

/**
 * An expired kind is still given at once while a fresh one is read in the background (one read
 * per key at a time): a slow or stopped PostgreSQL never holds up publishing to channels already
 * seen, and JetStream keeps the messages until the consumer can store them. (A channel's kind
 * never changes, so a stale one is still right.)
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
 * once, a revocation announced over the broker drops the entry at once (`forget`), and an
 * unannounced one takes effect within `ttlMs`: an expired membership is read again before it is
 * honoured, and used as it was only while PostgreSQL cannot answer (an outage).
 */
export class PgChannelAccess implements ChannelAccess, AccessCache {
  private readonly kinds: TtlCache<ChannelKind>;
  private readonly members: TtlCache<boolean>;
  private readonly refresher = new Refresher();

  constructor(
    private readonly sql: Sql,
    /** Channels one user may create per hour (new public ids used count). */
    private readonly maxCreatedPerHour: number,
    ttlMs = 5_000,
    maxEntries = 50_000,
  ) {
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
    const member = this.members.get(key) ?? await this.reloadMember(userId, channel, key);
    if (!member) throw notMemberError(channel);
  }

  private async reloadMember(userId: string, channel: string, key: string): Promise<boolean> {
    const stale = this.members.get(key, { stale: true });
    if (stale === undefined) return this.loadMember(userId, channel, key, QUERY_TIMEOUT_MS);
    try {
      return await this.loadMember(userId, channel, key, RELOAD_TIMEOUT_MS);
    } catch {
      return stale;
    }
  }

  private async loadMember(
    userId: string,
    channel: string,
    key: string,
    timeoutMs: number,
  ): Promise<boolean> {
    const member = await this.query(timeoutMs, async () =>
      (await this.sql`
        select 1 from channel_members where channel_id = ${channel} and user_id = ${userId}`)
        .length > 0);
    if (member) this.members.set(key, member);
    else this.members.delete(key);
    return member;
  }

  private async loadKind(userId: string, channel: string): Promise<ChannelKind> {
    // Direct channel ids are reserved: one that does not exist yet is nobody's to create here.
    const reserved = channel.startsWith(DIRECT_CHANNEL_PREFIX);
    const kind = await this.query(QUERY_TIMEOUT_MS, async () => {
      if (!reserved) {
        const [{ outcome }] = await this.sql<{ outcome: string }[]>`
          select create_channel(${channel}, 'public', ${userId}, ${this.maxCreatedPerHour})
            as outcome`;
        if (outcome === "quota") throw channelQuotaError();
      }
      // A fresh statement: it sees a concurrent first use's row, which create_channel waited for.
      const [row] = await this.sql<{ kind: ChannelKind }[]>`
        select kind from channels where id = ${channel}`;
      return row?.kind;
    });
    if (!kind) throw notMemberError(channel);
    this.kinds.set(channel, kind);
    return kind;
  }

  /** Bounded too: a subscribe or publish never waits on a stalled database for good. */
  private query<T>(timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    return storeCall("channel directory unavailable", fn, timeoutMs);
  }
}
