import type { MemberRole } from "./channel_directory.ts";

export interface Member {
  userId: string;
  role: MemberRole;
}

/** A channel's members, for backends that manage them. */
export interface ChannelRoster {
  /** The first `limit` members by join time, and how many there are in all. */
  members(channel: string, limit: number): Promise<{ members: Member[]; total: number }>;
}
