import type { ChannelEvent } from "../domain/channel_event.ts";
import type { LogQueues } from "./log_queues.ts";

/** The durable stream of channel events (NATS only), partitioned by channel like messages. */
export interface EventLog {
  /**
   * Resolves once the stream stores `event`; the same event id again within the duplicate window
   * is stored once. Rejects when that is not confirmed within `timeoutMs`.
   */
  append(event: ChannelEvent, timeoutMs: number): Promise<void>;
  readonly queues: LogQueues<ChannelEvent>;
}
