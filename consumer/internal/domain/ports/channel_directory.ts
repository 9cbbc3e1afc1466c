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
  /** Messages after the read marker (seqs are gap-free, so this is exact). */
  unread: number;
  /** For a direct channel, the other user. */
  peer?: string;
}

/** Channels and their members, as stored. */
export interface ChannelDirectory {
  /** Creates the channel with `ownerId` as its owner; false when the id is taken. */
  create(id: string, kind: "public" | "private", ownerId: string): Promise<boolean>;
  /** Creates the direct channel of two users unless it exists; false when it existed. */
  ensureDirect(id: string, a: string, b: string): Promise<boolean>;
  get(id: string): Promise<ChannelInfo | undefined>;
  role(channel: string, userId: string): Promise<MemberRole | undefined>;
  userExists(userId: string): Promise<boolean>;
  /** False when already a member. */
  addMember(channel: string, userId: string): Promise<boolean>;
  /** False when not a member. */
  removeMember(channel: string, userId: string): Promise<boolean>;
  listFor(userId: string): Promise<MyChannel[]>;
  /**
   * Moves the user's read marker forward to `seq` (never back), making them a member when they
   * are not yet; returns the marker.
   */
  markRead(channel: string, userId: string, seq: number): Promise<number>;
}
