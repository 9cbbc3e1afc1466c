import { z } from "zod";
import { announceRevocation, onRevocation } from "../../../../shared/channels/revocations.ts";
import type { Logger } from "../../../../shared/logging/logger.ts";
import type { Signals } from "../../../../shared/ports/broker.ts";
import type { MembershipEvents } from "../../domain/ports/membership.ts";

/** Additions reach the added user's sockets on every instance (at-most-once, like revocations). */
const ADDED_TOPIC = "membership-added";
const Addition = z.object({ channel: z.string(), userId: z.string() });

/** What an instance does with its own caches and sockets when membership changes anywhere. */
export interface LocalMembership {
  added(channel: string, userId: string): void;
  revoked(channel: string, userId: string): void;
}

/**
 * Membership changes announced over the broker's signals, so every instance (this one included)
 * acts at once. Broker down: caches still expire within their TTL and pages see the change on
 * their next list, so a lost announcement is logged, never the caller's failure.
 */
export class SignalMembershipEvents implements MembershipEvents {
  constructor(private readonly signals: Signals, private readonly logger: Logger) {}

  /** Acts on this instance until the returned function is called. */
  listen(local: LocalMembership): () => void {
    const stops = [
      onRevocation(this.signals, ({ channel, userId }) => local.revoked(channel, userId)),
      this.signals.subscribe(ADDED_TOPIC, (data) => {
        const parsed = Addition.safeParse(data);
        if (parsed.success) local.added(parsed.data.channel, parsed.data.userId);
      }),
    ];
    return () => stops.forEach((stop) => stop());
  }

  added(channel: string, userId: string): void {
    const addition: z.infer<typeof Addition> = { channel, userId };
    this.announce(() => this.signals.publish(ADDED_TOPIC, addition), channel);
  }

  revoked(channel: string, userId: string): void {
    this.announce(() => announceRevocation(this.signals, { channel, userId }), channel);
  }

  private announce(publish: () => void, channel: string): void {
    try {
      publish();
    } catch (err) {
      this.logger.warn("membership change not announced", { channel, err });
    }
  }
}
