import { type Rate, TokenBucket } from "../../../../shared/rate/token_bucket.ts";

/** A place in a lane: `turn` resolves once every earlier place has been left. */
export interface LanePlace {
  turn: Promise<void>;
  /** Idempotent; called once the append has been issued, or when the publish gave up earlier. */
  leave(): void;
}

/**
 * One connection's publishes: its own rate-limit bucket, and the order in which its appends are
 * issued. Publishes run concurrently (an authorization lookup may be slow), but each one issues
 * its append only after every earlier one has, so a client's messages are stored in the order
 * it sent them while still being pipelined to the log.
 */
export class PublishLane {
  readonly bucket: TokenBucket;
  private tail: Promise<void> = Promise.resolve();

  constructor(rate: Rate) {
    this.bucket = new TokenBucket(rate);
  }

  enter(): LanePlace {
    const turn = this.tail;
    let leave!: () => void;
    const left = new Promise<void>((resolve) => leave = resolve);
    this.tail = turn.then(() => left);
    return { turn, leave };
  }
}
