import type { ChannelEvent } from "../../../../shared/domain/channel_event.ts";

/** Channel events recorded with the change that made them, waiting to reach the event stream. */
export interface EventOutbox {
  /**
   * Hands the oldest events (at most `max`, in the order they happened) to `publish`, and forgets
   * them once it resolves; nothing is forgotten when it rejects. One caller at a time over every
   * instance: meanwhile another's call resolves 0 at once. Resolves how many were handed over.
   */
  relay(max: number, publish: (events: ChannelEvent[]) => Promise<void>): Promise<number>;
}
