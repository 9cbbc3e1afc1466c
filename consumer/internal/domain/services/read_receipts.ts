import { z } from "zod";
import type { Logger } from "../../../../shared/logging/logger.ts";
import type { Signals } from "../../../../shared/ports/broker.ts";
import type { ReceiptFrame } from "../../../../shared/protocol/frames.ts";
import type { ChannelRoster } from "../ports/channel_roster.ts";
import type { ReadReceipt, ReadReceipts } from "../ports/read_receipts.ts";

export const RECEIPT_TOPIC = "read-receipt";

/**
 * The most members (the reader included) a private channel may have for its members to see each
 * other's read markers ("seen"); a DM has two. Past it a receipt goes to the reader's own sockets
 * only: who read what is a small group's courtesy, not a large channel's broadcast.
 */
export const SEEN_MAX_MEMBERS = 8;

const ReceiptSignal = z.object({
  channel: z.string(),
  user: z.string(),
  seq: z.number().int().min(0),
  /** The other members to tell, each on their sockets that subscribe to the channel. */
  to: z.array(z.string()).max(SEEN_MAX_MEMBERS),
});
type ReceiptSignal = z.infer<typeof ReceiptSignal>;

/** This instance's sockets, as receipts reach them. */
export interface ReceiptAudience {
  /** Every socket of `userId` here (the reader's other tabs and devices). */
  toUser(userId: string, frame: ReceiptFrame): void;
  /** Those sockets of `userId` here that subscribe to the frame's channel. */
  toSubscriber(userId: string, frame: ReceiptFrame): void;
}

/**
 * Read receipts: a moved read marker goes out once over the broker's signals (core NATS,
 * at-most-once, like typing) and every instance, this one included, hands it to its own sockets:
 * all of the reader's, so unread counts agree across tabs and devices, and, in a DM or a private
 * channel of at most SEEN_MAX_MEMBERS, the subscribed sockets of the other members. Only
 * subscribed ones: a member removed meanwhile has had those subscriptions ended.
 */
export class ReadReceiptRelay implements ReadReceipts {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly signals: Signals,
    private readonly roster: ChannelRoster,
    private readonly audience: ReceiptAudience,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.unsubscribe = this.signals.subscribe(RECEIPT_TOPIC, (data) => {
      const parsed = ReceiptSignal.safeParse(data);
      if (!parsed.success) return;
      const { channel, user, seq, to } = parsed.data;
      const frame: ReceiptFrame = { type: "receipt", channel, user, seq };
      this.audience.toUser(user, frame);
      for (const member of to) this.audience.toSubscriber(member, frame);
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }

  read(receipt: ReadReceipt): void {
    void this.announce(receipt);
  }

  private async announce({ channel, channelKind, user, seq }: ReadReceipt): Promise<void> {
    let to: string[] = [];
    if (channelKind !== "public") {
      try {
        const { members, total } = await this.roster.members(channel, SEEN_MAX_MEMBERS);
        if (total <= SEEN_MAX_MEMBERS) {
          to = members.map((m) => m.userId).filter((id) => id !== user);
        }
      } catch (err) {
        // The reader's own sockets still hear of it; the others see it at their next read.
        this.logger.warn("receipt audience unknown", { channel, err });
      }
    }
    try {
      this.signals.publish(RECEIPT_TOPIC, { channel, user, seq, to } satisfies ReceiptSignal);
    } catch (err) {
      // Broker down: unread counts catch up when the other tabs next list their channels.
      this.logger.warn("read receipt not announced", { channel, err });
    }
  }
}
