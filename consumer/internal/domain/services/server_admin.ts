import { SYSTEM_USER_ID } from "../../../../shared/domain/system_user.ts";
import { AppError } from "../../../../shared/errors.ts";
import type { ChannelDirectory, ChannelInfo } from "../ports/channel_directory.ts";
import type { ChannelRoster, Member } from "../ports/channel_roster.ts";
import type { MembershipEvents } from "../ports/membership.ts";
import type { UserSessions } from "../ports/user_sessions.ts";
import { ChannelService } from "./channel_service.ts";

/** Members listed with a channel; `memberCount` tells how many there are past them. */
const MEMBERS_LISTED = 1_000;

export interface ChannelOverview extends ChannelInfo {
  members: Member[];
  memberCount: number;
  /** Users subscribed to the channel right now, on any instance. */
  online: string[];
}

/**
 * What an application backend may do to channels and users with a key: everything an owner may,
 * on any channel, without being a member. Direct channels keep their two members, as for users.
 */
export class ServerAdmin {
  constructor(
    private readonly directory: ChannelDirectory,
    private readonly roster: ChannelRoster,
    private readonly sessions: UserSessions,
    private readonly events: MembershipEvents,
    private readonly online: (channel: string) => string[],
  ) {}

  async describe(channel: string): Promise<ChannelOverview> {
    const info = await this.existing(channel);
    const { members, total } = await this.roster.members(channel, MEMBERS_LISTED);
    return { ...info, members, memberCount: total, online: this.online(channel) };
  }

  /**
   * Creates a channel owned by `owner`, or by the system user (no person) when absent, by the
   * users' rules (reserved ids, CONFLICT); the directory given to a backend has no hourly quota.
   */
  async createChannel(
    id: string,
    kind: "public" | "private",
    owner = SYSTEM_USER_ID,
  ): Promise<ChannelInfo> {
    await this.existingUser(owner);
    return await new ChannelService(this.directory, this.events).create(owner, id, kind);
  }

  /** Resolves false when the user was a member already; the added user's sockets are told. */
  async addMember(channel: string, userId: string): Promise<boolean> {
    await this.mutable(channel);
    await this.existingUser(userId);
    const added = await this.directory.addMember(channel, userId);
    if (added) this.events.added(channel, userId);
    return added;
  }

  /** Removes a member (the owner too) and, off a public channel, ends their subscriptions now. */
  async removeMember(channel: string, userId: string): Promise<void> {
    const info = await this.mutable(channel);
    if (!await this.directory.removeMember(channel, userId)) {
      throw new AppError("NOT_FOUND", `${userId} is not a member of ${channel}`);
    }
    if (info.kind !== "public") this.events.revoked(channel, userId);
  }

  disconnect(userId: string): void {
    this.sessions.disconnect(userId);
  }

  unsubscribe(userId: string, channel: string): void {
    this.sessions.unsubscribe(userId, channel);
  }

  presence(channel: string): string[] {
    return this.online(channel);
  }

  private async existing(channel: string): Promise<ChannelInfo> {
    const info = await this.directory.get(channel);
    if (!info) throw new AppError("NOT_FOUND", `no channel ${channel}`);
    return info;
  }

  private async mutable(channel: string): Promise<ChannelInfo> {
    const info = await this.existing(channel);
    if (info.kind === "direct") {
      throw new AppError("FORBIDDEN", "a direct channel's members cannot change");
    }
    return info;
  }

  private async existingUser(userId: string): Promise<void> {
    if (!await this.directory.userExists(userId)) {
      throw new AppError("NOT_FOUND", `no user ${userId}`);
    }
  }
}
