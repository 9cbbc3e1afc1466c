import type { ErrorCode } from "./wire.ts";

export type { ErrorCode };

/** A failure with the server's error code (the same codes on every surface; docs/PROTOCOL.md). */
export class RtmError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Seconds the server asked to wait before retrying (RATE_LIMITED). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "RtmError";
  }
}
