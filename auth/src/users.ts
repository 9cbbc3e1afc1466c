import type { Sql } from "../../shared/db/postgres.ts";
import { storeCall as sharedStoreCall } from "../../shared/db/store_call.ts";
import { AppError } from "../../shared/errors.ts";
import type { Profile, UserDirectory, UserRecord, UserStore } from "./stores.ts";

/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = "23505";

/**
 * Auth's database calls: a unique violation is CONFLICT; other failures that are not the client's
 * fault surface as UNAVAILABLE, never INTERNAL (shared/db/store_call.ts).
 */
export function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  return sharedStoreCall("database unavailable", async () => {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === UNIQUE_VIOLATION) throw new AppError("CONFLICT", "already exists");
      throw err;
    }
  });
}

export class PgUserStore implements UserStore, UserDirectory {
  constructor(private readonly sql: Sql) {}

  create(email: string, displayName: string, passwordHash: string): Promise<UserRecord> {
    return storeCall(async () => {
      const [row] = await this.sql<UserRecord[]>`
        insert into users (email, display_name, password_hash)
        values (${email}, ${displayName}, ${passwordHash})
        returning id, email, display_name as "displayName", password_hash as "passwordHash",
          created_at as "createdAt"`;
      return row;
    });
  }

  replacePasswordHash(id: string, previous: string, next: string): Promise<void> {
    return storeCall(async () => {
      await this.sql`
        update users set password_hash = ${next} where id = ${id} and password_hash = ${previous}`;
    });
  }

  byEmail(email: string): Promise<UserRecord | undefined> {
    return storeCall(async () => {
      const [row] = await this.sql<UserRecord[]>`
        select id, email, display_name as "displayName", password_hash as "passwordHash",
          created_at as "createdAt"
        from users where email = ${email}`;
      return row;
    });
  }

  rename(id: string, displayName: string): Promise<UserRecord | undefined> {
    return storeCall(async () => {
      const [row] = await this.sql<UserRecord[]>`
        update users set display_name = ${displayName} where id = ${id}
        returning id, email, display_name as "displayName", password_hash as "passwordHash",
          created_at as "createdAt"`;
      return row;
    });
  }

  profiles(ids: string[]): Promise<Profile[]> {
    return storeCall(() =>
      this.sql<Profile[]>`
        select id, display_name as "displayName" from users where id = any(${ids}::uuid[])`
    );
  }

  search(query: string, limit: number): Promise<Profile[]> {
    const prefix = query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`) + "%";
    return storeCall(() =>
      this.sql<Profile[]>`
        select id, display_name as "displayName" from users
        where lower(display_name) like ${prefix}
          or lower(display_name) like ${"% " + prefix}
          or email = ${query.toLowerCase()}
        order by lower(display_name), id
        limit ${limit}`
    );
  }

  byId(id: string): Promise<UserRecord | undefined> {
    return storeCall(async () => {
      const [row] = await this.sql<UserRecord[]>`
        select id, email, display_name as "displayName", password_hash as "passwordHash",
          created_at as "createdAt"
        from users where id = ${id}`;
      return row;
    });
  }
}
