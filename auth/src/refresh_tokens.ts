import { createHash, randomBytes } from "node:crypto";
import type { Sql, TransactionSql } from "../../shared/db/postgres.ts";
import { storeCall } from "./users.ts";

export interface IssuedRefreshToken {
  token: string;
  expiresAt: Date;
}

/** What presenting a refresh token led to. */
export type RotateOutcome =
  | { kind: "rotated"; userId: string; next: IssuedRefreshToken }
  /** Unknown, expired or revoked. */
  | { kind: "invalid" }
  /** Already spent: someone replayed it, so the whole family has just been revoked. */
  | { kind: "reused" };

/** Only a hash is stored: a database leak does not hand out usable tokens. */
function hashToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/**
 * Opaque refresh tokens, one row per token; a login starts a family and every refresh adds the
 * next token to it. Spending, reuse detection and revocation happen in one transaction per call,
 * with the presented row locked, so two concurrent refreshes of one token cannot both succeed.
 */
export class RefreshTokenStore {
  constructor(private readonly sql: Sql, private readonly ttlSeconds: number) {}

  /** A new family for a fresh login. */
  issue(userId: string): Promise<IssuedRefreshToken> {
    return storeCall(() => this.insert(this.sql, userId, crypto.randomUUID()));
  }

  rotate(token: string): Promise<RotateOutcome> {
    return storeCall(() =>
      this.sql.begin(async (tx): Promise<RotateOutcome> => {
        const [row] = await tx<
          { id: string; userId: string; familyId: string; state: "live" | "used" | "dead" }[]
        >`
          select id, user_id as "userId", family_id as "familyId",
            case when revoked_at is not null or expires_at <= now() then 'dead'
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
        const next = await this.insert(tx, row.userId, row.familyId);
        return { kind: "rotated", userId: row.userId, next };
      })
    );
  }

  /** Revokes the family `token` belongs to; false when the token is unknown. */
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

  /** Deletes up to `limit` expired tokens (spent or not: they can no longer be used at all). */
  purgeExpired(limit: number): Promise<number> {
    return storeCall(async () => {
      const rows = await this.sql`
        delete from refresh_tokens where id in (
          select id from refresh_tokens where expires_at < now() order by expires_at limit ${limit})
        returning id`;
      return rows.length;
    });
  }

  private async insert(
    sql: Sql | TransactionSql,
    userId: string,
    familyId: string,
  ): Promise<IssuedRefreshToken> {
    const token = randomBytes(32).toString("base64url");
    const [row] = await sql<{ expiresAt: Date }[]>`
      insert into refresh_tokens (user_id, family_id, token_hash, expires_at)
      values (${userId}, ${familyId}, ${hashToken(token)},
        now() + make_interval(secs => ${this.ttlSeconds}))
      returning expires_at as "expiresAt"`;
    return { token, expiresAt: row.expiresAt };
  }
}
