/** Tells every consumer instance that a user lost access to a channel. */
export interface MembershipEvents {
  revoked(channel: string, userId: string): void;
}
