import { createHash, randomBytes } from "node:crypto";
import type { Sql, TransactionSql } from "../../shared/db/postgres.ts";
import type { IssuedRefreshToken, RefreshTokenStore, RotateOutcome } from "./stores.ts";
import { storeCall } from "./users.ts";

/** Only a hash is stored: a database leak does not hand out usable tokens. */
function hashToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

export interface RefreshTokenLifetimes {
  /** Each token's own lifetime, renewed by every rotation. */
  ttlSeconds: number;
  /** The family's absolute lifetime, from its login: no rotation extends it. */
  familyMaxAgeSeconds: number;
}

/**
 * Opaque refresh tokens, one row per token; a login starts a family and every refresh adds the
 * next token to it. Spending, reuse detection and revocation happen in one transaction per call,
 * with the presented row locked, so two concurrent refreshes of one token cannot both succeed.
 */
export class PgRefreshTokenStore implements RefreshTokenStore {
  constructor(private readonly sql: Sql, private readonly lifetimes: RefreshTokenLifetimes) {}

  issue(userId: string): Promise<IssuedRefreshToken> {
    return storeCall(() => this.insert(this.sql, userId, crypto.randomUUID(), null));
  }

  rotate(token: string): Promise<RotateOutcome> {
    return storeCall(() =>
      this.sql.begin(async (tx): Promise<RotateOutcome> => {
        const [row] = await tx<{
          id: string;
          userId: string;
          familyId: string;
          familyStartedAt: Date;
          state: "live" | "used" | "dead";
        }[]>`
          select id, user_id as "userId", family_id as "familyId",
            family_started_at as "familyStartedAt",
            case when revoked_at is not null or expires_at <= now() or family_started_at
                   + make_interval(secs => ${this.lifetimes.familyMaxAgeSeconds}) <= now()
                 then 'dead'
                 when used_at is not null then 'used'
                 else 'live' end as state
          from refresh_tokens where token_hash = ${hashToken(token)}
          for update`;
        if (!row || row.state === "dead") return { kind: "invalid" };
        if (row.state === "used") {
          await tx`
            update refresh_tokens set revoked_at = now()
            where family_id = ${row.familyId} and revoked_at is null`;
          return { kind: "reused" };
        }
        await tx`update refresh_tokens set used_at = now() where id = ${row.id}`;
        const next = await this.insert(tx, row.userId, row.familyId, row.familyStartedAt);
        return { kind: "rotated", userId: row.userId, next };
      })
    );
  }

  revokeFamily(token: string): Promise<boolean> {
    return storeCall(async () => {
      const rows = await this.sql`
        update refresh_tokens set revoked_at = now()
        where revoked_at is null and family_id = (
          select family_id from refresh_tokens where token_hash = ${hashToken(token)})
        returning id`;
      return rows.length > 0;
    });
  }

  /** Spent or not, an expired token can no longer be used at all. */
  purgeExpired(limit: number): Promise<number> {
    return storeCall(async () => {
      const rows = await this.sql`
        delete from refresh_tokens where id in (
          select id from refresh_tokens where expires_at < now() order by expires_at limit ${limit})
        returning id`;
      return rows.length;
    });
  }

  /**
   * A token expires with its own lifetime or its family's, whichever ends first. A new family
   * (`familyStartedAt` null) starts now, by the database's clock like every other time here.
   */
  private async insert(
    sql: Sql | TransactionSql,
    userId: string,
    familyId: string,
    familyStartedAt: Date | null,
  ): Promise<IssuedRefreshToken> {
    const token = randomBytes(32).toString("base64url");
    const { ttlSeconds, familyMaxAgeSeconds } = this.lifetimes;
    const [row] = await sql<{ expiresAt: Date }[]>`
      with family as (select coalesce(${familyStartedAt}::timestamptz, now()) as started_at)
      insert into refresh_tokens (user_id, family_id, family_started_at, token_hash, expires_at)
      select ${userId}, ${familyId}, started_at, ${hashToken(token)},
        least(now() + make_interval(secs => ${ttlSeconds}),
          started_at + make_interval(secs => ${familyMaxAgeSeconds}))
      from family
      returning expires_at as "expiresAt"`;
    return { token, expiresAt: row.expiresAt };
  }
}
