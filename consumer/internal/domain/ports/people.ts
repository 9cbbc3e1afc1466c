/** A user's presence as stored: online across the cluster, and when their last socket closed. */
export interface UserPresenceState {
  id: string;
  online: boolean;
  /** ISO 8601; null while never seen offline since presence was recorded. */
  lastSeen: string | null;
}

/** A transition one instance observed: `userId` came online (or went offline) at `at`. */
export interface ObservedTransition {
  userId: string;
  online: boolean;
  at: Date;
}

/** The same, for a user's presence on one channel. */
export interface ObservedChannelTransition extends ObservedTransition {
  channel: string;
}

/** Who relates to whom, and user presence as stored (PostgreSQL). */
export interface People {
  /** Which of `ids` share a channel (a DM included) with `userId`. */
  related(userId: string, ids: string[]): Promise<Set<string>>;
  /**
   * Pairs [watcher, subject]: each watcher among `watchers` who shares a channel with a subject
   * (only a direct channel when `directOnly`).
   */
  audience(
    subjects: string[],
    watchers: string[],
    directOnly: boolean,
  ): Promise<[string, string][]>;
  /** When each of `ids` was last seen going offline (those ever seen). */
  lastSeen(ids: string[]): Promise<Map<string, string>>;
  /**
   * Records transitions, each only if it flips the stored state and was observed after the last
   * flip (several instances observe the same one); each flip is a webhook event (the outbox).
   */
  record(transitions: ObservedTransition[]): Promise<void>;
  /**
   * Flips to offline every user stored online since before `before` who is not in `online` (a
   * whole cluster stopped with them online), last seen at `before`.
   */
  settle(online: string[], before: Date): Promise<void>;
  /** The same flips for presence per channel (recorded only where webhooks need them). */
  recordChannel(transitions: ObservedChannelTransition[]): Promise<void>;
  displayNames(ids: string[]): Promise<Map<string, string>>;
}

/** Profile changes as the store announces them (a display name written by auth). */
export interface ProfileChanges {
  /** Calls `onChange` with each changed user's id; resolves with a function that stops. */
  listen(onChange: (userId: string) => void): Promise<() => Promise<void>>;
}
