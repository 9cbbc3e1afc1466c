import type { Logger } from "../../../../shared/logging/logger.ts";
import type {
  DeadLetterQueue,
  DeliveryBus,
  PersistQueue,
  QueuedMessage,
} from "../../../../shared/ports/broker.ts";
import { type MessageStore, StoreError } from "../ports/message_store.ts";
import type { PersistObserver } from "../ports/persist_observer.ts";

const MAX_BACKOFF_MS = 30_000;

/** Exponential backoff by delivery count: 250 ms, 500 ms, 1 s … capped at 30 s. */
export function backoffMs(deliveryCount: number): number {
  return Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.max(0, deliveryCount - 1));
}

/**
 * Drains the persist queue into the message store: one transaction per batch, then one delivery
 * per stored message, then the JetStream ack. Delivering before acking means an instance that dies
 * between COMMIT and delivery has its batch redelivered (after the ack wait) and delivered then;
 * the delivery publish and the ack travel on one connection in that order. A failing batch is
 * retried message by message so one poison message cannot block the rest; after `maxAttempts` it
 * goes to the durable dead-letter queue.
 */
export class PersistService {
  constructor(
    private readonly queue: PersistQueue,
    private readonly store: MessageStore,
    private readonly delivery: DeliveryBus,
    private readonly deadLetters: DeadLetterQueue,
    private readonly opts: { batchSize: number; maxAttempts: number },
    private readonly observer: PersistObserver,
    private readonly logger: Logger,
  ) {}

  /** Runs until `signal` aborts; the batch in hand is finished first. */
  run(signal: AbortSignal): Promise<void> {
    return this.queue.run((batch) => this.handle(batch), {
      maxBatch: this.opts.batchSize,
      signal,
    });
  }

  async handle(batch: QueuedMessage[]): Promise<void> {
    const redelivered = batch.filter((q) => q.deliveryCount > 1).length;
    if (redelivered) this.observer.redelivered(redelivered);
    try {
      await this.storeAndSettle(batch);
    } catch (err) {
      if (batch.length === 1 || !(err instanceof StoreError && err.permanent)) {
        await this.retryLater(batch, err);
        return;
      }
      // Some message in the batch is bad: isolate it by storing one at a time.
      for (const q of batch) {
        await this.storeAndSettle([q]).catch((e) => this.retryLater([q], e));
      }
    }
  }

  private async storeAndSettle(batch: QueuedMessage[]): Promise<void> {
    const started = performance.now();
    const outcome = await this.store.storeBatch(batch.map((q) => q.message));
    this.observer.batchStored(outcome.stored.length, (performance.now() - started) / 1000);
    // Redelivered duplicates are published again: subscribers drop seqs they already have, and a
    // delivery lost in a crash between COMMIT and publish is made good here.
    try {
      for (const m of outcome.stored) this.delivery.publish(m);
    } catch (err) {
      // Stored: subscribers fill the gap from PostgreSQL on the channel's next message.
      this.logger.warn("delivery publish failed", { err });
    }
    const rejected = new Set(outcome.rejected.map((r) => r.message));
    for (const q of batch) {
      if (!rejected.has(q.message)) q.ack();
    }
    for (const r of outcome.rejected) {
      const q = batch.find((b) => b.message === r.message)!;
      await this.giveUpOrRetry(q, r.reason);
    }
  }

  private async retryLater(batch: QueuedMessage[], err: unknown): Promise<void> {
    this.observer.storeFailed();
    const permanent = err instanceof StoreError && err.permanent;
    this.logger.warn("store failed, will retry", { size: batch.length, permanent, err });
    for (const q of batch) {
      if (permanent) await this.giveUpOrRetry(q, (err as StoreError).detail);
      else q.nak(backoffMs(q.deliveryCount));
    }
  }

  private async giveUpOrRetry(q: QueuedMessage, reason: string): Promise<void> {
    if (q.deliveryCount < this.opts.maxAttempts) {
      q.nak(backoffMs(q.deliveryCount));
      return;
    }
    try {
      await this.deadLetters.put({
        message: q.message,
        reason,
        attempts: q.deliveryCount,
        at: new Date().toISOString(),
      });
    } catch (err) {
      // Not stored as a dead letter: keep it in the queue rather than lose it.
      this.logger.warn("dead letter not stored, will retry", { err });
      q.nak(backoffMs(q.deliveryCount));
      return;
    }
    this.observer.deadLettered(reason);
    this.logger.error("message dead-lettered", {
      channel: q.message.channel,
      clientMsgId: q.message.clientMsgId,
      reason,
    });
    q.term(reason);
  }
}
