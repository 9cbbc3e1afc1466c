import type { Sql } from "../../shared/db/postgres.ts";
import { AppError } from "../../shared/errors.ts";
import type { UserRecord, UserStore } from "./stores.ts";

/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = "23505";

/** Database failures that are not the client's fault surface as UNAVAILABLE, never INTERNAL. */
export async function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError) throw err;
    const code = (err as { code?: string }).code;
    if (code === UNIQUE_VIOLATION) throw new AppError("CONFLICT", "already exists");
    throw new AppError("UNAVAILABLE", "database unavailable");
  }
}

export class PgUserStore implements UserStore {
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
