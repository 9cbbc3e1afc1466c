/** A user's live sockets, on every consumer instance (and producer, for disconnects). */
export interface UserSessions {
  /** Closes all of the user's sockets for good (the SDK does not reconnect). */
  disconnect(userId: string): void;
  /** Ends the user's subscriptions to `channel`; their sockets stay open. */
  unsubscribe(userId: string, channel: string): void;
}
