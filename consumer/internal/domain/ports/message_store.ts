import { AppError } from "../../../../shared/errors.ts";
import type {
  AcceptedMessage,
  HistoryMessage,
  StoredMessage,
} from "../../../../shared/domain/message.ts";

/**
 * Where a partition's reader stands in the log: its batch moves the partition's committed stream
 * seq from `expected` to `next` in the same transaction as the rows, or fails with FencedError.
 */
export interface PartitionFence {
  log: string;
  partition: number;
  expected: number;
  next: number;
}

/** A history page's bounds: seq ≤ `upTo`, and after `after` (oldest first) or else the newest. */
export interface HistoryRange {
  after?: number;
  upTo: number;
  limit: number;
}

/** Durable message storage with gap-free per-channel sequencing. */
export interface MessageStore {
  /**
   * Stores a batch in one transaction, assigning each new message the next seq of its channel
   * (an edit, delete or reaction is a message of its own, applied to its target in the same
   * transaction),
   * and resolves with every message of the batch now stored (newly, or by an earlier try), in seq
   * order per channel. Idempotent per (sender, channel, clientMsgId). Every fence's partition offset
   * moves in the same transaction (several partitions' batches go in one: their channels are
   * distinct). Rejects with a StoreError: permanent when some message can never be stored (e.g. its
   * channel does not exist), FencedError when an offset moved; then nothing is stored.
   */
  storeBatch(
    messages: AcceptedMessage[],
    fences?: readonly PartitionFence[],
  ): Promise<StoredMessage[]>;
  /** Moves a partition's offset past messages that were dead-lettered instead of stored. */
  advanceOffset(fence: PartitionFence): Promise<void>;
  /** The last stream seq of `partition` in `log` that is stored (0 when none). */
  offset(log: string, partition: number): Promise<number>;
  /** Messages of `channel` with `afterSeq` < seq ≤ `upToSeq`, oldest first, at most `limit`. */
  range(
    channel: string,
    afterSeq: number,
    upToSeq: number,
    limit: number,
  ): Promise<StoredMessage[]>;
  /**
   * Messages (not events) of `channel` in `range`, oldest first, at most `limit`, each as it is
   * now: current text, edited mark, tombstone, reactions.
   */
  history(channel: string, range: HistoryRange): Promise<HistoryMessage[]>;
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

/** Another reader moved the partition's offset: this one no longer owns the partition. */
export class FencedError extends StoreError {
  constructor(detail: string) {
    super(detail, false);
    this.name = "FencedError";
  }
}
