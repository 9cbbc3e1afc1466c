import { AppError } from "../../../../shared/errors.ts";
import type { AcceptedMessage, StoredMessage } from "../../../../shared/domain/message.ts";

export interface StoreOutcome {
  /** Every message of the batch that is now stored: newly sequenced or stored by an earlier try. */
  stored: StoredMessage[];
  /** Messages that can never be stored as they are (e.g. their channel no longer exists). */
  rejected: { message: AcceptedMessage; reason: string }[];
}

/** Durable message storage with gap-free per-channel sequencing. */
export interface MessageStore {
  /**
   * Stores a batch in one transaction, assigning each new message the next seq of its channel.
   * Idempotent per (sender, clientMsgId). Rejects with a StoreError on failure.
   */
  storeBatch(messages: AcceptedMessage[]): Promise<StoreOutcome>;
  /** Messages of `channel` with `afterSeq` < seq ≤ `upToSeq`, oldest first, at most `limit`. */
  range(
    channel: string,
    afterSeq: number,
    upToSeq: number,
    limit: number,
  ): Promise<StoredMessage[]>;
  /** The channel's highest seq (0 when empty). */
  lastSeq(channel: string): Promise<number>;
  /** The highest seq of each of `channels` that exists. */
  lastSeqs(channels: string[]): Promise<Map<string, number>>;
  /** The lowest seq still retained (lastSeq + 1 when no message is left). */
  firstSeq(channel: string): Promise<number>;
}

/**
 * `permanent` failures (bad data, a violated constraint) will fail again on retry; the rest
 * (connection lost, timeout, deadlock) are worth retrying. A client that meets one (a subscribe, a
 * history read) gets UNAVAILABLE for a transient failure, so it retries; never the database's own
 * words, which stay in `detail` (and in `cause`, for the logs).
 */
export class StoreError extends AppError {
  constructor(readonly detail: string, readonly permanent: boolean) {
    super(
      permanent ? "INTERNAL" : "UNAVAILABLE",
      permanent ? "the message store refused the data" : "message store unavailable, retry",
    );
    this.name = "StoreError";
    this.cause = detail;
  }
}
