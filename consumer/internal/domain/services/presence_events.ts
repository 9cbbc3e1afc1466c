import type { Logger } from "../../../../shared/logging/logger.ts";
import type { ObservedChannelTransition, People } from "../ports/people.ts";
import type { PresenceChange } from "./presence_service.ts";
import { SerialBatches } from "./serial_batches.ts";

/**
 * Channel presence for the webhooks `presence.joined`/`presence.left`, each once per transition
 * cluster-wide. Every instance observes every transition (presence is shared) and records it;
 * the store keeps only the one whose conditional update flips the row (a different state,
 * observed later than the last flip), and that flip writes the event to the outbox in the same
 * transaction (migration 00015), relayed like membership changes. `user.online`/`user.offline`
 * come the same way from user presence's own flips.
 */
export class PresenceEvents {
  private readonly channels = new SerialBatches<string, ObservedChannelTransition>((batch) =>
    this.record(batch)
  );

  constructor(private readonly people: People, private readonly logger: Logger) {}

  /** A coalesced change of a channel's presence, as this instance saw it. */
  channelChanged({ channel, joined, left }: PresenceChange): void {
    const at = new Date();
    for (const userId of joined) {
      this.channels.put(`${channel} ${userId}`, { channel, userId, online: true, at });
    }
    for (const userId of left) {
      this.channels.put(`${channel} ${userId}`, { channel, userId, online: false, at });
    }
  }

  private async record(batch: ObservedChannelTransition[]): Promise<void> {
    try {
      await this.people.recordChannel(batch);
    } catch (err) {
      this.logger.warn("channel presence not recorded", { err });
    }
  }
}
