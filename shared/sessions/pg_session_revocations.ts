import type { Sql } from "../db/postgres.ts";
import type { Logger } from "../logging/logger.ts";
import type { SessionRevocation, SessionRevocations } from "../ports/sessions.ts";

/** How far back each poll looks: several polls, so a slow or failed one loses nothing. */
const LOOKBACK_SECONDS = 30;

/**
 * Ends live sockets when auth revokes a session. Auth only marks refresh tokens revoked in
 * PostgreSQL, which producer and consumer share; each instance reads the revocations of the last
 * LOOKBACK_SECONDS every `pollMs` (one indexed query, migration 00008) and hands them on. Acting on
 * one is idempotent (close the user's sockets opened with a token issued before it), so seeing it
 * in several polls is harmless. Access tokens carry no session id, so every socket of the user
 * opened before the revocation closes; other devices refresh their token and reconnect.
 */
export class PgSessionRevocations implements SessionRevocations {
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling = false;

  constructor(
    private readonly sql: Sql,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  start(onRevoked: (revocation: SessionRevocation) => void): void {
    this.timer = setInterval(() => {
      if (this.polling) return; // a slow database makes the next tick skip, never pile up
      this.polling = true;
      this.recent().then((revocations) => revocations.forEach(onRevoked))
        .catch((err) => this.logger.warn("session revocations not read", { err }))
        .finally(() => this.polling = false);
    }, this.pollMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async recent(): Promise<SessionRevocation[]> {
    const rows = await this.sql<{ user_id: string; at: number }[]>`
      select user_id, extract(epoch from max(revoked_at))::float8 as at from refresh_tokens
      where revoked_at > now() - make_interval(secs => ${LOOKBACK_SECONDS})
      group by user_id`;
    return rows.map((r) => ({ userId: r.user_id, at: r.at }));
  }
}
