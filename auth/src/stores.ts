/**
 * What the auth service needs from storage, so it depends on these and not on PostgreSQL
 * (users.ts and refresh_tokens.ts implement them). Failures are AppErrors: CONFLICT for a taken
 * email, UNAVAILABLE when the store cannot answer.
 */
export interface UserRecord {
  id: string;
  email: string;
  displayName: string;
  passwordHash: string;
  createdAt: Date;
}

export interface UserStore {
  /** CONFLICT when the email is taken. */
  create(email: string, displayName: string, passwordHash: string): Promise<UserRecord>;
  /** Replaces a password hash unless it changed meanwhile (another login upgraded it first). */
  replacePasswordHash(id: string, previous: string, next: string): Promise<void>;
  byEmail(email: string): Promise<UserRecord | undefined>;
  byId(id: string): Promise<UserRecord | undefined>;
}

/** What anyone signed in may know about an account: never its email. */
export interface Profile {
  id: string;
  displayName: string;
}

/** Profiles for the directory (directory.ts). */
export interface UserDirectory {
  /** The updated account, or undefined when it no longer exists. */
  rename(id: string, displayName: string): Promise<UserRecord | undefined>;
  /** Profiles of the accounts among `ids` that exist (in no particular order). */
  profiles(ids: string[]): Promise<Profile[]>;
  /**
   * Accounts whose display name, or one of its words, starts with `query` (case-insensitive), or
   * whose email is exactly `query`; by name, at most `limit`.
   */
  search(query: string, limit: number): Promise<Profile[]>;
}

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

/**
 * Refresh tokens in families: a login starts one, every rotation adds the next token to it, and
 * presenting a spent token revokes the whole family.
 */
export interface RefreshTokenStore {
  /** A new family for a fresh login. */
  issue(userId: string): Promise<IssuedRefreshToken>;
  /** Spends `token` and issues its successor, atomically: two concurrent rotations cannot both win. */
  rotate(token: string): Promise<RotateOutcome>;
  /** Revokes the family `token` belongs to; false when the token is unknown. */
  revokeFamily(token: string): Promise<boolean>;
  /** Deletes up to `limit` expired tokens; how many it deleted. */
  purgeExpired(limit: number): Promise<number>;
}
