import { storeCall } from "../../../../shared/db/store_call.ts";
import type { Sql } from "../../../../shared/db/postgres.ts";
import type {
  ObservedChannelTransition,
  ObservedTransition,
  People,
  ProfileChanges,
} from "../../domain/ports/people.ts";

/** Transitions as rows for `jsonb_to_recordset` (a channel's, with its `channel_id`). */
function asRows(transitions: (ObservedTransition & { channel?: string })[]) {
  return transitions.map((t) => ({
    channel_id: t.channel,
    user_id: t.userId,
    online: t.online,
    at: t.at.toISOString(),
  }));
}

/**
 * Relations from `channel_members`; presence in `user_presence`, `channel_presence` (00014), whose
 * flips 00015's triggers record as webhook events.
 */
export class PgPeople implements People, ProfileChanges {
  constructor(private readonly sql: Sql) {}

  async related(userId: string, ids: string[]): Promise<Set<string>> {
    const rows = await this.query(() =>
      this.sql<{ id: string }[]>`
        select distinct o.user_id as id
        from channel_members m join channel_members o on o.channel_id = m.channel_id
        where m.user_id = ${userId} and o.user_id = any(${ids}::uuid[])`
    );
    return new Set(rows.map((r) => r.id));
  }

  async audience(
    subjects: string[],
    watchers: string[],
    directOnly: boolean,
  ): Promise<[string, string][]> {
    const rows = await this.query(() =>
      this.sql<{ watcher: string; subject: string }[]>`
        select distinct w.user_id as watcher, s.user_id as subject
        from channel_members s
        join channel_members w on w.channel_id = s.channel_id and w.user_id <> s.user_id
        join channels c on c.id = s.channel_id
        where s.user_id = any(${subjects}::uuid[]) and w.user_id = any(${watchers}::uuid[])
          and (not ${directOnly} or c.kind = 'direct')`
    );
    return rows.map((r) => [r.watcher, r.subject]);
  }

  async lastSeen(ids: string[]): Promise<Map<string, string>> {
    const rows = await this.query(() =>
      this.sql<{ id: string; last_seen_at: Date }[]>`
        select user_id as id, last_seen_at from user_presence
        where user_id = any(${ids}::uuid[]) and last_seen_at is not null`
    );
    return new Map(rows.map((r) => [r.id, r.last_seen_at.toISOString()]));
  }

  async record(transitions: ObservedTransition[]): Promise<void> {
    if (transitions.length === 0) return;
    const values = asRows(transitions);
    await this.query(() =>
      this.sql`
        insert into user_presence (user_id, online, last_seen_at, changed_at)
        select v.user_id, v.online, case when v.online then null else v.at end, v.at
        from jsonb_to_recordset(${
        this.sql.json(values)
      }) as v(user_id uuid, online boolean, at timestamptz)
        where exists (select 1 from users u where u.id = v.user_id)
        on conflict (user_id) do update set
          online = excluded.online,
          last_seen_at = case when excluded.online then user_presence.last_seen_at
            else excluded.changed_at end,
          changed_at = excluded.changed_at
        where user_presence.online <> excluded.online
          and user_presence.changed_at < excluded.changed_at`
    );
  }

  async settle(online: string[], before: Date): Promise<void> {
    await this.query(() =>
      this.sql`
        update user_presence set online = false, last_seen_at = ${before}, changed_at = ${before}
        where online and changed_at < ${before} and not (user_id = any(${online}::uuid[]))`
    );
  }

  async recordChannel(transitions: ObservedChannelTransition[]): Promise<void> {
    if (transitions.length === 0) return;
    const values = asRows(transitions);
    await this.query(() =>
      this.sql`
        insert into channel_presence (channel_id, user_id, online, changed_at)
        select v.channel_id, v.user_id, v.online, v.at
        from jsonb_to_recordset(${this.sql.json(values)})
          as v(channel_id text, user_id uuid, online boolean, at timestamptz)
        where exists (select 1 from channels c where c.id = v.channel_id)
          and exists (select 1 from users u where u.id = v.user_id)
        on conflict (channel_id, user_id) do update set
          online = excluded.online, changed_at = excluded.changed_at
        where channel_presence.online <> excluded.online
          and channel_presence.changed_at < excluded.changed_at`
    );
  }

  async displayNames(ids: string[]): Promise<Map<string, string>> {
    const rows = await this.query(() =>
      this.sql<{ id: string; display_name: string }[]>`
        select id, display_name from users where id = any(${ids}::uuid[])`
    );
    return new Map(rows.map((r) => [r.id, r.display_name]));
  }

  async listen(onChange: (userId: string) => void): Promise<() => Promise<void>> {
    // postgres.js keeps one connection for it and listens again after a reconnect.
    const { unlisten } = await this.sql.listen("user_profile", (id) => onChange(id));
    // A connection already closed (the database stopped first, as a Ctrl-C on the single node
    // does) took the LISTEN with it: nothing is left to undo.
    return () =>
      unlisten().catch((err) => {
        if ((err as { code?: string }).code !== "CONNECTION_CLOSED") throw err;
      });
  }

  private query<T>(fn: () => Promise<T>): Promise<T> {
    return storeCall("people directory unavailable", fn);
  }
}
