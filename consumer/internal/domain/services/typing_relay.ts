import { z } from "zod";
import { AppError } from "../../../../shared/errors.ts";
import type { Signals } from "../../../../shared/ports/broker.ts";
import type { Subscriber } from "../ports/subscriber.ts";

export const TYPING_TOPIC = "typing";

const TypingSignal = z.object({ channel: z.string(), user: z.string() });

/**
 * How often one socket may say it types in one channel. Clients repeat the signal every few
 * seconds while typing and hide it ~5 s after the last one, so this costs nothing visible.
 */
const MIN_INTERVAL_MS = 1_000;

/** The local side of delivery that typing needs: who subscribes here, and fan-out to them. */
export interface TypingAudience {
  isSubscribed(subscriber: Subscriber, channel: string): boolean;
  broadcastTyping(channel: string, user: string): void;
}

/**
 * Typing indicators: ephemeral, never stored. A subscriber's signal goes out once over the
 * broker's signals (core NATS, at-most-once) and every instance, this one included, hands it to
 * its own subscribers of the channel. Nothing expires here: there is no state to expire.
 */
export class TypingRelay {
  /** Per socket: channel → when it last typed there (gone with the socket). */
  private readonly last = new WeakMap<Subscriber, Map<string, number>>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly signals: Signals,
    private readonly audience: TypingAudience,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.unsubscribe = this.signals.subscribe(TYPING_TOPIC, (data) => {
      const parsed = TypingSignal.safeParse(data);
      if (parsed.success) this.audience.broadcastTyping(parsed.data.channel, parsed.data.user);
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /**
   * FORBIDDEN unless the socket subscribes to the channel (membership was checked then);
   * RATE_LIMITED when it typed there less than a second ago.
   */
  typing(subscriber: Subscriber, channel: string): void {
    if (!this.audience.isSubscribed(subscriber, channel)) {
      throw new AppError("FORBIDDEN", `subscribe to ${channel} before typing in it`);
    }
    const now = this.now();
    const times = this.last.get(subscriber) ?? new Map<string, number>();
    this.last.set(subscriber, times);
    const previous = times.get(channel);
    if (previous !== undefined && now - previous < MIN_INTERVAL_MS) {
      throw new AppError(
        "RATE_LIMITED",
        "typing signals come at most once a second",
        (MIN_INTERVAL_MS - (now - previous)) / 1000,
      );
    }
    times.set(channel, now);
    try {
      this.signals.publish(TYPING_TOPIC, { channel, user: subscriber.userId });
    } catch {
      // Broker down: a typing hint is not worth an error; the next keystroke tries again.
    }
  }
}
