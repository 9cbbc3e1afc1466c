/** Who is subscribed where, as the delivery side reports it to presence tracking. */
export interface PresenceTracker {
  /** A connection of `userId` subscribed to `channel`. */
  join(channel: string, userId: string, connectionId: string): void;
  /** That subscription ended (unsubscribe, resubscribe, or the socket closed). */
  leave(channel: string, userId: string, connectionId: string): void;
}
