import { type Rate, TokenBucket } from "../../../../shared/rate/token_bucket.ts";

/** A place in a lane: `turn` resolves once every earlier place has been left. */
export interface LanePlace {
  turn: Promise<void>;
  /** Idempotent; called once the append has been issued, or when the publish gave up earlier. */
  leave(): void;
}

/**
 * How long past its retry-after a refused publish keeps the lane's later ones back, for a client
 * that never sends it again: long enough for one that does to hear of the refusal and wait.
 */
const HOLD_GRACE_MS = 2_000;

/**
 * One connection's publishes: its own rate-limit bucket, and the order in which its appends are
 * issued. Publishes run concurrently (an authorization lookup may be slow), but each one issues
 * its append only after every earlier one has, so a client's messages are stored in the order
 * it sent them while still being pipelined to the log. A publish refused for its rate holds the
 * lane: the ones sent after it are refused too until it comes again, so a token regained in
 * between never lets a later message overtake it.
 */
export class PublishLane {
  readonly bucket: TokenBucket;
  private tail: Promise<void> = Promise.resolve();
  private held: { clientMsgId: string; retryAtMs: number; untilMs: number } | undefined;

  constructor(rate: Rate, private readonly now: () => number = Date.now) {
    this.bucket = new TokenBucket(rate);
  }

  enter(): LanePlace {
    const turn = this.tail;
    let leave!: () => void;
    const left = new Promise<void>((resolve) => leave = resolve);
    this.tail = turn.then(() => left);
    return { turn, leave };
  }

  /**
   * While an earlier refused publish, not `clientMsgId`, has yet to come again: the milliseconds
   * until it may (0 once due). Otherwise undefined: `clientMsgId` may go ahead.
   */
  heldBack(clientMsgId: string): number | undefined {
    const now = this.now();
    if (!this.held || now >= this.held.untilMs || this.held.clientMsgId === clientMsgId) {
      return undefined;
    }
    return Math.max(0, this.held.retryAtMs - now);
  }

  /** `clientMsgId` was refused for its rate, retryable after `retryAfterMs`. */
  refused(clientMsgId: string, retryAfterMs: number): void {
    if (this.heldBack(clientMsgId) !== undefined) return; // the earliest refused one keeps it
    const retryAtMs = this.now() + retryAfterMs;
    this.held = { clientMsgId, retryAtMs, untilMs: retryAtMs + HOLD_GRACE_MS };
  }

  /** `clientMsgId` passed the rate limit: the lane flows again if it was the one held. */
  passed(clientMsgId: string): void {
    if (this.held?.clientMsgId === clientMsgId) this.held = undefined;
  }
}
