/** Tells every consumer instance that a user gained or lost access to a channel. */
export interface MembershipEvents {
  added(channel: string, userId: string): void;
  revoked(channel: string, userId: string): void;
}
