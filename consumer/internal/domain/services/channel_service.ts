import { DIRECT_CHANNEL_PREFIX, directChannelId } from "../../../../shared/domain/channel.ts";
import { AppError } from "../../../../shared/errors.ts";
import type { ChannelAccess } from "../../../../shared/ports/channel_access.ts";
import type { ChannelDirectory, ChannelInfo, MyChannel } from "../ports/channel_directory.ts";
import type { MembershipEvents } from "../ports/membership.ts";

/**
 * Channel and membership rules. Anyone may create a channel (becoming its owner) and join or leave
 * a public one; only the owner adds or removes others; the owner stays; a direct channel's two
 * members are fixed. Reading a public channel makes it one of yours (for unread counts).
 */
export class ChannelService {
  constructor(
    private readonly directory: ChannelDirectory,
    private readonly access: ChannelAccess,
    private readonly events: MembershipEvents,
  ) {}

  async create(userId: string, id: string, kind: "public" | "private"): Promise<ChannelInfo> {
    if (id.startsWith(DIRECT_CHANNEL_PREFIX)) {
      throw new AppError(
        "INVALID",
        `channel ids starting with ${DIRECT_CHANNEL_PREFIX} are reserved`,
      );
    }
    if (!await this.directory.create(id, kind, userId)) {
      throw new AppError("CONFLICT", `channel ${id} already exists`);
    }
    return { id, kind, lastSeq: 0 };
  }

  /** Adds `target`; resolves false when they were a member already. */
  async addMember(actor: string, channel: string, target: string): Promise<boolean> {
    const info = await this.mutableChannel(channel);
    if (!(info.kind === "public" && target === actor)) await this.requireOwner(channel, actor);
    if (!await this.directory.userExists(target)) {
      throw new AppError("NOT_FOUND", `no user ${target}`);
    }
    return this.directory.addMember(channel, target);
  }

  async removeMember(actor: string, channel: string, target: string): Promise<void> {
    const info = await this.mutableChannel(channel);
    if (target !== actor) await this.requireOwner(channel, actor);
    if (await this.directory.role(channel, target) === "owner") {
      throw new AppError("FORBIDDEN", "the owner cannot be removed from their channel");
    }
    if (!await this.directory.removeMember(channel, target)) {
      throw new AppError("NOT_FOUND", `${target} is not a member of ${channel}`);
    }
    // A public channel stays readable by anyone; elsewhere the removed user's access ends now.
    if (info.kind !== "public") this.events.revoked(channel, target);
  }

  /** The direct channel of `actor` and `peer`, created on first call. */
  async openDirect(actor: string, peer: string): Promise<{ id: string; created: boolean }> {
    if (actor === peer) throw new AppError("INVALID", "a direct channel needs another user");
    if (!await this.directory.userExists(peer)) throw new AppError("NOT_FOUND", `no user ${peer}`);
    const id = await directChannelId(actor, peer);
    return { id, created: await this.directory.ensureDirect(id, actor, peer) };
  }

  listMine(userId: string): Promise<MyChannel[]> {
    return this.directory.listFor(userId);
  }

  async markRead(
    userId: string,
    channel: string,
    seq: number,
  ): Promise<{ lastReadSeq: number; unread: number }> {
    await this.access.authorize(userId, channel);
    const info = await this.directory.get(channel);
    const lastSeq = info?.lastSeq ?? 0;
    if (seq > lastSeq) {
      throw new AppError("INVALID", `seq ${seq} is ahead of the channel (last seq ${lastSeq})`);
    }
    const lastReadSeq = await this.directory.markRead(channel, userId, seq);
    return { lastReadSeq, unread: Math.max(0, lastSeq - lastReadSeq) };
  }

  private async mutableChannel(channel: string): Promise<ChannelInfo> {
    const info = await this.directory.get(channel);
    if (!info) throw new AppError("NOT_FOUND", `no channel ${channel}`);
    if (info.kind === "direct") {
      throw new AppError("FORBIDDEN", "a direct channel's members cannot change");
    }
    return info;
  }

  private async requireOwner(channel: string, userId: string): Promise<void> {
    if (await this.directory.role(channel, userId) !== "owner") {
      throw new AppError("FORBIDDEN", `only the owner of ${channel} manages its members`);
    }
  }
}
