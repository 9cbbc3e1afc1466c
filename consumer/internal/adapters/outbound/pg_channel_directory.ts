import { storeCall } from "../../../../shared/db/store_call.ts";
import type { Sql } from "../../../../shared/db/postgres.ts";
import type { ChannelKind } from "../../../../shared/domain/channel.ts";
import type {
  ChannelDirectory,
  ChannelInfo,
  Creation,
  MemberRole,
  MyChannel,
  ReadMarker,
} from "../../domain/ports/channel_directory.ts";

/** Channels and members in PostgreSQL (tables `channels`, `channel_members`). */
/** No hourly creation cap (the server API's directory): the largest int the SQL function takes. */
export const UNLIMITED_PER_HOUR = 2_147_483_647;

export class PgChannelDirectory implements ChannelDirectory {
  constructor(
    private readonly sql: Sql,
    /** Channels one user may create per hour (migration 00007's `create_channel`). */
    private readonly maxCreatedPerHour: number,
  ) {}

  create(id: string, kind: "public" | "private", ownerId: string): Promise<Creation> {
    return this.query(() =>
      this.sql.begin(async (tx) => {
        const [{ outcome }] = await tx<{ outcome: Creation }[]>`
          select create_channel(${id}, ${kind}, ${ownerId}, ${this.maxCreatedPerHour})
            as outcome`;
        if (outcome !== "created") return outcome;
        await tx`
          insert into channel_members (channel_id, user_id, role)
          values (${id}, ${ownerId}, 'owner')`;
        return outcome;
      })
    );
  }

  ensureDirect(id: string, a: string, b: string): Promise<boolean> {
    return this.query(() =>
      this.sql.begin(async (tx) => {
        const created = await tx`
          insert into channels (id, kind, created_by) values (${id}, 'direct', ${a})
          on conflict (id) do nothing returning id`;
        await tx`
          insert into channel_members (channel_id, user_id)
          values (${id}, ${a}), (${id}, ${b})
          on conflict (channel_id, user_id) do nothing`;
        return created.length > 0;
      })
    );
  }

  async get(id: string): Promise<ChannelInfo | undefined> {
    const [row] = await this.query(() =>
      this.sql<{ kind: ChannelKind; last_seq: number }[]>`
        select kind, last_seq from channels where id = ${id}`
    );
    return row && { id, kind: row.kind, lastSeq: row.last_seq };
  }

  async role(channel: string, userId: string): Promise<MemberRole | undefined> {
    const [row] = await this.query(() =>
      this.sql<{ role: MemberRole }[]>`
        select role from channel_members where channel_id = ${channel} and user_id = ${userId}`
    );
    return row?.role;
  }

  async userExists(userId: string): Promise<boolean> {
    const rows = await this.query(() => this.sql`select 1 from users where id = ${userId}`);
    return rows.length > 0;
  }

  async addMember(channel: string, userId: string): Promise<boolean> {
    const rows = await this.query(() =>
      this.sql`
        insert into channel_members (channel_id, user_id) values (${channel}, ${userId})
        on conflict (channel_id, user_id) do nothing returning 1`
    );
    return rows.length > 0;
  }

  async joinPublic(channel: string, userId: string): Promise<boolean> {
    const rows = await this.query(() =>
      this.sql`
        insert into channel_members (channel_id, user_id)
        select id, ${userId} from channels where id = ${channel} and kind = 'public'
        on conflict (channel_id, user_id) do nothing returning 1`
    );
    return rows.length > 0;
  }

  async removeMember(channel: string, userId: string): Promise<boolean> {
    const rows = await this.query(() =>
      this.sql`
        delete from channel_members where channel_id = ${channel} and user_id = ${userId}
        returning 1`
    );
    return rows.length > 0;
  }

  async listFor(userId: string): Promise<MyChannel[]> {
    const rows = await this.query(() =>
      this.sql<{
        id: string;
        kind: ChannelKind;
        role: MemberRole;
        last_seq: number;
        last_read_seq: number;
        unread: number;
        peer: string | null;
        peer_read_seq: number | null;
      }[]>`
        select c.id, c.kind, m.role, c.last_seq, m.last_read_seq,
          ${this.unread()} as unread, o.user_id as peer, o.last_read_seq as peer_read_seq
        from channel_members m join channels c on c.id = m.channel_id
        left join lateral (
          select user_id, last_read_seq from channel_members
          where c.kind = 'direct' and channel_id = c.id and user_id <> m.user_id limit 1
        ) o on true
        where m.user_id = ${userId}
        order by c.id`
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      role: r.role,
      lastSeq: r.last_seq,
      lastReadSeq: r.last_read_seq,
      unread: r.unread,
      ...(r.peer ? { peer: r.peer, peerLastReadSeq: r.peer_read_seq ?? 0 } : {}),
    }));
  }

  /**
   * One statement, so the access check and the write cannot be split by a removal: a membership
   * row is only updated, never made, except on a public channel (anyone may join). A removal that
   * commits first leaves nothing to update (the update re-checks the row it waited for).
   */
  async markRead(channel: string, userId: string, seq: number): Promise<ReadMarker> {
    const [row] = await this.query(() =>
      this.sql<
        { kind: ChannelKind; last_seq: number; last_read_seq: number | null; unread: number }[]
      >`
        with c as (select id, kind, last_seq, message_count from channels where id = ${channel}),
        updated as (
          update channel_members m set last_read_seq = greatest(m.last_read_seq, ${seq})
          from c where m.channel_id = ${channel} and m.user_id = ${userId} and ${seq} <= c.last_seq
          returning m.last_read_seq
        ),
        joined as (
          insert into channel_members (channel_id, user_id, last_read_seq)
          select ${channel}, ${userId}::uuid, ${seq}::bigint from c
          where c.kind = 'public' and ${seq} <= c.last_seq and not exists (select 1 from updated)
          on conflict (channel_id, user_id) do update
            set last_read_seq = greatest(channel_members.last_read_seq, excluded.last_read_seq)
          returning last_read_seq
        ),
        moved as (select * from updated union all select * from joined limit 1)
        select c.kind, c.last_seq, m.last_read_seq, ${this.unread()} as unread
        from c left join moved m on true`
    );
    if (!row) return { kind: "not-member" };
    if (row.last_read_seq !== null) {
      return {
        kind: "moved",
        lastSeq: row.last_seq,
        lastReadSeq: row.last_read_seq,
        unread: row.unread,
        channelKind: row.kind,
      };
    }
    if (seq <= row.last_seq) return { kind: "not-member" };
    // Ahead of the channel: said only to whoever may read it (the head is no outsider's business).
    const member = row.kind === "public" || await this.role(channel, userId) !== undefined;
    return member ? { kind: "ahead", lastSeq: row.last_seq } : { kind: "not-member" };
  }

  /**
   * Ordinary messages after member `m`'s marker in channel `c` (migration 00012): events are no
   * news, and it costs at most three index probes however long the channel.
   */
  private unread() {
    return this.sql`greatest(0, c.message_count - messages_through(c.id, m.last_read_seq))`;
  }

  private query<T>(fn: () => Promise<T>): Promise<T> {
    return storeCall("channel directory unavailable", fn);
  }
}
