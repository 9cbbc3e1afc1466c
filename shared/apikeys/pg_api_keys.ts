import type { Sql } from "../db/postgres.ts";
import { AppError } from "../errors.ts";
import { type ApiKeyRecord, type ApiKeyScope, generateApiKey, hashApiKey } from "./api_key.ts";

interface Row {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  created_at: Date;
  revoked_at: Date | null;
}

const record = (r: Row): ApiKeyRecord => ({
  id: r.id,
  name: r.name,
  scopes: r.scopes,
  createdAt: r.created_at.toISOString(),
  ...(r.revoked_at ? { revokedAt: r.revoked_at.toISOString() } : {}),
});

/** API keys in PostgreSQL (table `api_keys`), stored as SHA-256 hashes. */
export class PgApiKeys {
  constructor(private readonly sql: Sql) {}

  /** A new key: the plain key is returned here and never again. */
  async create(
    name: string,
    scopes: ApiKeyScope[],
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    const key = generateApiKey();
    const hash = await hashApiKey(key);
    const [row] = await this.sql<Row[]>`
      insert into api_keys (name, key_hash, scopes) values (${name}, ${hash}, ${scopes})
      returning id, name, scopes, created_at, revoked_at`;
    return { key, record: record(row) };
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.sql<Row[]>`
      select id, name, scopes, created_at, revoked_at from api_keys order by created_at, id`;
    return rows.map(record);
  }

  /** False when no unrevoked key has that id. */
  async revoke(id: string): Promise<boolean> {
    const rows = await this.sql`
      update api_keys set revoked_at = now() where id = ${id} and revoked_at is null returning 1`;
    return rows.length > 0;
  }

  /** The scopes of an unrevoked key, or undefined for a key that is unknown or revoked. */
  async scopesOf(key: string): Promise<ApiKeyScope[] | undefined> {
    const hash = await hashApiKey(key);
    let rows: { scopes: ApiKeyScope[] }[];
    try {
      rows = await this.sql<{ scopes: ApiKeyScope[] }[]>`
        select scopes from api_keys where key_hash = ${hash} and revoked_at is null`;
    } catch {
      throw new AppError("UNAVAILABLE", "API keys unavailable, retry");
    }
    return rows[0]?.scopes;
  }
}
