import { sleep } from "../../../../shared/async/sleep.ts";
import {
  type AcceptedMessage,
  dedupeKey,
  type StoredMessage,
} from "../../../../shared/domain/message.ts";
import type { Logger } from "../../../../shared/logging/logger.ts";
import { spanSince, tracingOn, withSpan } from "../../../../shared/tracing/tracing.ts";
import type {
  DeadLetterQueue,
  DeliveryBus,
  LogBatch,
  LogEntry,
  PartitionedLog,
  PartitionOwnership,
} from "../../../../shared/ports/broker.ts";
import {
  FencedError,
  type MessageStore,
  type PartitionFence,
  StoreError,
} from "../ports/message_store.ts";
import type { PersistObserver } from "../ports/persist_observer.ts";
import { PersistGroups } from "./persist_groups.ts";

const MAX_BACKOFF_MS = 30_000;

/** Exponential backoff by attempt: 250 ms, 500 ms, 1 s … capped at 30 s. */
export function backoffMs(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.max(0, attempt - 1));
}

/** The partition was lost while a batch waited for a retry: nothing of it was stored. */
class Stopped extends Error {}

/**
 * Persists the partitions this instance owns, each in log order: a batch is stored in one
 * transaction that also moves the partition's offset (so a message is stored once, and its
 * channel's seq order is the log's order, whatever instance stored it), then delivered. A failing
 * batch is retried in place, never skipped, so order holds across database outages; one that can
 * never be stored is stored message by message, and the message that fails goes to the durable
 * dead-letter queue before the offset moves past it. A crash between COMMIT and delivery loses
 * only the live delivery: subscribers fill the gap from PostgreSQL.
 */
export class PersistService {
  private owned = 0;
  /** Transactions at once over all partitions, each with every batch that waited for it. */
  private readonly groups: PersistGroups;

  constructor(
    private readonly log: PartitionedLog,
    private readonly ownership: PartitionOwnership,
    private readonly store: MessageStore,
    private readonly delivery: DeliveryBus,
    private readonly deadLetters: DeadLetterQueue,
    private readonly opts: { batchSize: number; concurrency: number },
    private readonly observer: PersistObserver,
    private readonly logger: Logger,
  ) {
    this.groups = new PersistGroups(store, opts.concurrency, opts.batchSize);
  }

  /** Runs until `signal` aborts; each partition finishes the batch in hand first. */
  run(signal: AbortSignal): Promise<void> {
    return this.ownership.run((partition, lost) => this.persistPartition(partition, lost), signal);
  }

  private async persistPartition(partition: number, lost: AbortSignal): Promise<void> {
    this.observer.partitionsOwned(++this.owned);
    try {
      for (let attempt = 1; !lost.aborted; attempt++) {
        try {
          let offset = await this.retrying(() => this.store.offset(this.log.id, partition), lost);
          await this.log.read(partition, offset, async (batch) => {
            offset = await this.persistBatch(partition, offset, batch, lost);
            attempt = 1;
          }, { maxBatch: this.opts.batchSize, signal: lost });
        } catch (err) {
          if (err instanceof FencedError) {
            // Another instance stored past our offset: the partition is its now.
            this.logger.warn("partition fenced off", { partition, err });
            return;
          }
          if (lost.aborted) return;
          this.logger.warn("partition read failed, reading again", { partition, err });
          await sleep(backoffMs(attempt), lost);
        }
      }
    } finally {
      this.observer.partitionsOwned(--this.owned);
    }
  }

  /** Stores one batch and returns the partition's new offset. */
  private async persistBatch(
    partition: number,
    offset: number,
    { entries, lastSeq }: LogBatch,
    lost: AbortSignal,
  ): Promise<number> {
    const fence = { log: this.log.id, partition, expected: offset, next: lastSeq };
    try {
      await this.storeAndDeliver(entries, fence, lost);
      return lastSeq;
    } catch (err) {
      if (!(err instanceof StoreError && err.permanent)) throw err;
    }
    // Some message of the batch can never be stored: find it by storing one at a time.
    let at = offset;
    for (const entry of entries) {
      await this.storeOneOrDeadLetter(partition, at, entry, lost);
      at = entry.streamSeq;
    }
    if (at < lastSeq) {
      await this.retrying(
        () => this.store.advanceOffset({ ...fence, expected: at }),
        lost,
      );
    }
    return lastSeq;
  }

  private async storeOneOrDeadLetter(
    partition: number,
    offset: number,
    entry: LogEntry,
    lost: AbortSignal,
  ): Promise<void> {
    const fence = { log: this.log.id, partition, expected: offset, next: entry.streamSeq };
    try {
      await this.storeAndDeliver([entry], fence, lost);
      return;
    } catch (err) {
      if (!(err instanceof StoreError && err.permanent)) throw err;
      await this.retrying(() => this.deadLetter(entry.message, err.detail), lost);
    }
    await this.retrying(() => this.store.advanceOffset(fence), lost);
  }

  private async storeAndDeliver(
    entries: LogEntry[],
    fence: PartitionFence,
    lost: AbortSignal,
  ): Promise<void> {
    const started = performance.now();
    const startedAt = tracingOn ? Date.now() : 0;
    const messages = entries.map((e) => e.message);
    const stored = await this.retrying(() => this.groups.storeBatch(messages, fence), lost);
    this.observer.batchStored(stored.length, (performance.now() - started) / 1000);
    // Messages stored by an earlier try are delivered again: subscribers drop seqs they have.
    try {
      if (tracingOn) this.deliverTraced(entries, stored, startedAt);
      else for (const m of stored) this.delivery.publish(m);
    } catch (err) {
      // Stored: subscribers fill the gap from PostgreSQL on the channel's next message.
      this.logger.warn("delivery publish failed", { err });
    }
  }

  /**
   * One "rtm.persist" span per message, in its publish's trace, from the batch's start to now;
   * its delivery runs inside it, so the fan-out (here or on another instance) continues the trace.
   */
  private deliverTraced(entries: LogEntry[], stored: StoredMessage[], startedAt: number): void {
    // Keyed as the store dedupes: a row stored by an earlier try still finds its entry.
    const traces = new Map(entries.map((e) => [dedupeKey(e.message), e.trace]));
    for (const m of stored) {
      const span = spanSince("rtm.persist", traces.get(dedupeKey(m)), startedAt, {
        "rtm.channel": m.channel,
        "rtm.seq": m.seq,
        "rtm.batch_size": stored.length,
      });
      try {
        withSpan(span, () => this.delivery.publish(m));
      } finally {
        span.end();
      }
    }
  }

  /**
   * Runs `fn` until it succeeds or fails for good: a transient failure (the database away, a
   * timeout) is retried with backoff, for as long as the partition is ours. Rethrows permanent
   * and fencing failures; throws Stopped once `lost` aborts.
   */
  private async retrying<T>(fn: () => Promise<T>, lost: AbortSignal): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof FencedError || (err instanceof StoreError && err.permanent)) throw err;
        if (lost.aborted) throw new Stopped("partition lost before the batch was stored");
        this.observer.storeFailed();
        this.logger.warn("store failed, retrying", { attempt, err });
        await sleep(backoffMs(attempt), lost);
      }
    }
  }

  private async deadLetter(message: AcceptedMessage, reason: string): Promise<void> {
    await this.deadLetters.put({ message, reason, attempts: 1, at: new Date().toISOString() });
    this.observer.deadLettered(reason);
    this.logger.error("message dead-lettered", {
      channel: message.channel,
      clientMsgId: message.clientMsgId,
      reason,
    });
  }
}
