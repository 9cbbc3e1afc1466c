import type { Logger } from "../../../../shared/logging/logger.ts";
import type { EventLog } from "../../../../shared/ports/log_queues.ts";
import type { ObservedChannelTransition, ObservedTransition, People } from "../ports/people.ts";
import type { PresenceEventType } from "../ports/webhooks.ts";
import type { PresenceChange } from "./presence_service.ts";
import { SerialBatches } from "./serial_batches.ts";
import { sha256Hex } from "./webhook_dispatcher.ts";

/**
 * Presence as webhook events: `presence.joined`/`presence.left` per channel and `user.online`/
 * `user.offline` per user, each once per transition cluster-wide. Every instance observes every
 * transition (presence is shared); the store decides who tells: only the instance whose
 * conditional update flips the stored state (a different state, observed later than the last
 * flip) appends the event. Its id derives from the transition, so a retried append is stored
 * once. The event log takes it from there, like messages: signed, retried, in order.
 */
export class PresenceEvents {
  private readonly channels = new SerialBatches<string, ObservedChannelTransition>((batch) =>
    this.recordChannels(batch)
  );

  constructor(
    private readonly events: EventLog,
    private readonly people: People,
    private readonly logger: Logger,
  ) {}

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

  /** User transitions this instance flipped in the store: its to tell. */
  async usersChanged(owned: ObservedTransition[]): Promise<void> {
    for (const t of owned) {
      await this.append(t.online ? "user.online" : "user.offline", t, { user: t.userId });
    }
  }

  private async recordChannels(batch: ObservedChannelTransition[]): Promise<void> {
    try {
      for (const t of await this.people.recordChannel(batch)) {
        await this.append(t.online ? "presence.joined" : "presence.left", t, {
          channel: t.channel,
          user: t.userId,
        });
      }
    } catch (err) {
      this.logger.warn("presence events not recorded", { err });
    }
  }

  private async append(
    type: PresenceEventType,
    t: ObservedTransition,
    data: Record<string, string>,
  ): Promise<void> {
    const at = t.at.toISOString();
    const key = `${type}:${Object.values(data).join(":")}:${at}`;
    try {
      await this.events.append({
        id: `evt_${(await sha256Hex(key)).slice(0, 32)}`,
        type,
        timestamp: at,
        data: { ...data, at },
      });
    } catch (err) {
      this.logger.warn("presence event not stored", { type, err });
    }
  }
}
