import type { ChannelKind } from "../../../../shared/domain/channel.ts";

export type MemberRole = "owner" | "member";

export interface ChannelInfo {
  id: string;
  kind: ChannelKind;
  lastSeq: number;
}

/** One of a user's channels, with how far they have read. */
export interface MyChannel extends ChannelInfo {
  role: MemberRole;
  lastReadSeq: number;
  /** Ordinary messages after the read marker: edits, deletes and reactions are no news. */
  unread: number;
  /** For a direct channel, the other user. */
  peer?: string;
  /** For a direct channel, the other user's read marker ("seen" up to there). */
  peerLastReadSeq?: number;
}

/** What creating a channel came to: `quota` when the user created their hourly share already. */
export type Creation = "created" | "exists" | "quota";

/** What moving a read marker came to. */
export type ReadMarker =
  | {
    kind: "moved";
    lastSeq: number;
    lastReadSeq: number;
    /** As in MyChannel. */
    unread: number;
    channelKind: ChannelKind;
  }
  /** Not a member of a private or direct channel, or no such channel: one answer for all. */
  | { kind: "not-member" }
  | { kind: "ahead"; lastSeq: number };

/** Channels and their members, as stored. */
export interface ChannelDirectory {
  /** Creates the channel with `ownerId` as its owner, within the owner's hourly quota. */
  create(id: string, kind: "public" | "private", ownerId: string): Promise<Creation>;
  /** Creates the direct channel of two users unless it exists; false when it existed. */
  ensureDirect(id: string, a: string, b: string): Promise<boolean>;
  get(id: string): Promise<ChannelInfo | undefined>;
  role(channel: string, userId: string): Promise<MemberRole | undefined>;
  userExists(userId: string): Promise<boolean>;
  /** False when already a member. */
  addMember(channel: string, userId: string): Promise<boolean>;
  /** Makes `userId` a member of `channel` if it is public; false when not public or already one. */
  joinPublic(channel: string, userId: string): Promise<boolean>;
  /** False when not a member. */
  removeMember(channel: string, userId: string): Promise<boolean>;
  listFor(userId: string): Promise<MyChannel[]>;
  /**
   * Moves a member's read marker forward to `seq` (never back); on a public channel a non-member
   * joins. Atomic with its membership check: it never re-adds a member removed meanwhile.
   */
  markRead(channel: string, userId: string, seq: number): Promise<ReadMarker>;
}
