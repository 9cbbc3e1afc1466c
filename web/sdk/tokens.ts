import { backoffDelay, type BackoffPolicy } from "./backoff.ts";
import { RtmError } from "./errors.ts";

/** An access token and, when the server issued one, the refresh token that renews it. */
export interface TokenPair {
  /** Absent when a session is resumed from a stored refresh token alone. */
  accessToken?: string;
  refreshToken?: string;
}

/** Exchanges the current pair for a new one (refresh, or log in again). */
export type RenewTokens = (
  current: TokenPair,
) => Promise<Required<Pick<TokenPair, "accessToken">> & TokenPair>;

export interface TokenKeeperHooks {
  /** Called with every new pair, e.g. to keep the refresh token for the next page load. */
  onTokens?(pair: TokenPair): void;
  /** The session cannot be renewed any more (refresh token revoked or expired). */
  onAuthLost?(err: RtmError): void;
}

/** Claims of a JWT payload that a client may read (it never verifies: the servers do). */
export function tokenClaims(token: string): { sub?: string; exp?: number; iat?: number } {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "=")));
  } catch {
    return {};
  }
}

/**
 * Keeps an access token valid: renews it ahead of expiry (a quarter of its lifetime, at most a
 * minute, before), and whoever asks for a renewal while one is in flight shares it — two
 * concurrent refreshes would present the same refresh token twice, which the server treats as
 * theft and answers by revoking the whole family.
 */
export class TokenKeeper {
  private pair: TokenPair;
  private inFlight?: Promise<string>;
  private timer?: ReturnType<typeof setTimeout>;
  private closed = false;
  private readonly listeners = new Set<(accessToken: string) => void>();

  constructor(
    initial: TokenPair,
    private readonly renew: RenewTokens,
    private readonly backoff: BackoffPolicy,
    private readonly hooks: TokenKeeperHooks = {},
  ) {
    this.pair = { ...initial };
    if (initial.accessToken) hooks.onTokens?.(this.pair);
    this.schedule(0);
  }

  get refreshToken(): string | undefined {
    return this.pair.refreshToken;
  }

  /** The user id the current access token was issued to. */
  get userId(): string | undefined {
    return this.pair.accessToken ? tokenClaims(this.pair.accessToken).sub : undefined;
  }

  /** Calls `listener` with every renewed access token (open sockets pass it on in-band). */
  onRenewed(listener: (accessToken: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A token that is not about to expire, renewing first when needed. */
  fresh(): Promise<string> {
    const token = this.pair.accessToken;
    if (token && !this.expiresSoon(token)) return Promise.resolve(token);
    return this.refresh();
  }

  /** Renews now (single-flight: concurrent callers get the same result). */
  refresh(): Promise<string> {
    this.inFlight ??= this.renew(this.pair).then(
      (pair) => {
        this.inFlight = undefined;
        this.pair = {
          accessToken: pair.accessToken,
          refreshToken: pair.refreshToken ?? this.pair.refreshToken,
        };
        this.hooks.onTokens?.(this.pair);
        this.schedule(0);
        for (const listener of this.listeners) listener(pair.accessToken);
        return pair.accessToken;
      },
      (err) => {
        this.inFlight = undefined;
        const e = err instanceof RtmError ? err : new RtmError("UNAVAILABLE", String(err));
        if (e.code === "UNAUTHENTICATED") this.hooks.onAuthLost?.(e);
        throw e;
      },
    );
    return this.inFlight;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  private expiresSoon(token: string): boolean {
    const { exp } = tokenClaims(token);
    return exp !== undefined && Date.now() >= this.renewAt(token, exp);
  }

  private renewAt(token: string, exp: number): number {
    const iat = tokenClaims(token).iat ?? exp - 900;
    const margin = Math.min(60, Math.max(1, (exp - iat) / 4));
    return (exp - margin) * 1000;
  }

  /** Arms the timer for the next renewal; after a failure, retries with backoff until expiry. */
  private schedule(failures: number): void {
    clearTimeout(this.timer);
    const token = this.pair.accessToken;
    const exp = token ? tokenClaims(token).exp : undefined;
    if (this.closed || !token || exp === undefined) return;
    const delay = failures === 0
      ? Math.max(0, this.renewAt(token, exp) - Date.now())
      : backoffDelay(failures - 1, this.backoff);
    this.timer = setTimeout(() => {
      this.refresh().catch((err: RtmError) => {
        // A revoked session will not come back; anything else is retried while the token lives.
        if (err.code !== "UNAUTHENTICATED" && Date.now() < exp * 1000) this.schedule(failures + 1);
      });
    }, delay);
  }
}
