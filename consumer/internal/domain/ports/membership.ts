/** Tells every consumer instance that a user lost access to a channel. */
export interface MembershipEvents {
  revoked(channel: string, userId: string): void;
}

/** A cache of access answers that can drop one at once (a revoked membership). */
export interface AccessCache {
  forget(channel: string, userId: string): void;
}
