import type { ServerFrame } from "../../../../shared/protocol/frames.ts";

/** One client connection as the delivery domain sees it (a WebSocket session in practice). */
export interface Subscriber {
  readonly id: string;
  readonly userId: string;
  /** Queues a frame; returns false when the subscriber is gone or was cut off as too slow. */
  send(frame: ServerFrame): boolean;
}
