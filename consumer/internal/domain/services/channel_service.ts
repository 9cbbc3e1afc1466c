import { DIRECT_CHANNEL_PREFIX, directChannelId } from "../../../../shared/domain/channel.ts";
import { channelQuotaError, notMemberError } from "../../../../shared/channels/errors.ts";
import { AppError } from "../../../../shared/errors.ts";
import type {
  ChannelDirectory,
  ChannelInfo,
  MemberRole,
  MyChannel,
} from "../ports/channel_directory.ts";
import type { MembershipEvents } from "../ports/membership.ts";
import type { ReadReceipts } from "../ports/read_receipts.ts";

/**
 * Channel and membership rules. Anyone may create a channel (becoming its owner, within an hourly
 * quota) and join or leave a public one; only the owner adds or removes others; the owner stays; a
 * direct channel's two members are fixed. Subscribing to or reading a public channel makes it one
 * of yours (listed, with unread counts). A private or direct channel one is not in answers exactly like one that does not
 * exist, so nobody learns which exist.
 */
export class ChannelService {
  constructor(
    private readonly directory: ChannelDirectory,
    private readonly events: MembershipEvents,
    /** Told of every moved read marker (the server API's directory reads nothing). */
    private readonly receipts?: ReadReceipts,
  ) {}

  async create(userId: string, id: string, kind: "public" | "private"): Promise<ChannelInfo> {
    if (id.startsWith(DIRECT_CHANNEL_PREFIX)) {
      throw new AppError(
        "INVALID",
        `channel ids starting with ${DIRECT_CHANNEL_PREFIX} are reserved`,
      );
    }
    switch (await this.directory.create(id, kind, userId)) {
      case "created":
        return { id, kind, lastSeq: 0 };
      case "exists":
        throw new AppError("CONFLICT", `channel ${id} already exists`);
      case "quota":
        throw channelQuotaError();
    }
  }

  /** Adds `target`; resolves false when they were a member already. */
  async addMember(actor: string, channel: string, target: string): Promise<boolean> {
    const info = await this.mutableChannel(channel, actor);
    if (!(info.kind === "public" && target === actor)) requireOwner(channel, info.actorRole);
    if (!await this.directory.userExists(target)) {
      throw new AppError("NOT_FOUND", `no user ${target}`);
    }
    const added = await this.directory.addMember(channel, target);
    if (added) this.events.added(channel, target);
    return added;
  }

  /** A subscriber of a public channel joins it, so it is listed among theirs at once. */
  async subscribed(userId: string, channel: string): Promise<void> {
    if (await this.directory.joinPublic(channel, userId)) this.events.added(channel, userId);
  }

  async removeMember(actor: string, channel: string, target: string): Promise<void> {
    const info = await this.mutableChannel(channel, actor);
    if (target !== actor) requireOwner(channel, info.actorRole);
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
    const created = await this.directory.ensureDirect(id, actor, peer);
    if (created) { for (const user of [peer, actor]) this.events.added(id, user); }
    return { id, created };
  }

  listMine(userId: string): Promise<MyChannel[]> {
    return this.directory.listFor(userId);
  }

  async markRead(
    userId: string,
    channel: string,
    seq: number,
  ): Promise<{ lastReadSeq: number; unread: number }> {
    const marker = await this.directory.markRead(channel, userId, seq);
    switch (marker.kind) {
      case "not-member":
        throw notMemberError(channel);
      case "ahead":
        throw new AppError(
          "INVALID",
          `seq ${seq} is ahead of the channel (last seq ${marker.lastSeq})`,
        );
      case "moved":
        this.receipts?.read({
          channel,
          channelKind: marker.channelKind,
          user: userId,
          seq: marker.lastReadSeq,
        });
        return { lastReadSeq: marker.lastReadSeq, unread: marker.unread };
    }
  }

  /** The channel and the actor's role there, if the actor may see it at all. */
  private async mutableChannel(
    channel: string,
    actor: string,
  ): Promise<ChannelInfo & { actorRole?: MemberRole }> {
    const [info, actorRole] = await Promise.all([
      this.directory.get(channel),
      this.directory.role(channel, actor),
    ]);
    if (!info || (info.kind !== "public" && !actorRole)) throw notMemberError(channel);
    if (info.kind === "direct") {
      throw new AppError("FORBIDDEN", "a direct channel's members cannot change");
    }
    return { ...info, actorRole };
  }
}

function requireOwner(channel: string, role: MemberRole | undefined): void {
  if (role !== "owner") {
    throw new AppError("FORBIDDEN", `only the owner of ${channel} manages its members`);
  }
}
