import type { ServerFrame, SharedFrame } from "../../../../shared/protocol/frames.ts";

/** One client connection as the delivery domain sees it (a WebSocket session in practice). */
export interface Subscriber {
  readonly id: string;
  readonly userId: string;
  /** Queues a frame; returns false when the subscriber is gone or was cut off as too slow. */
  send(frame: ServerFrame | SharedFrame): boolean;
  /**
   * Resolves true once the subscriber has taken most of what was sent, so a replay paces itself
   * instead of flooding the socket; false when it is gone or was cut off for taking nothing.
   */
  writable(): Promise<boolean>;
}
