import type { AcceptedMessage, StoredMessage } from "../domain/message.ts";
import type { AppendResult, Broker, QueuedMessage } from "../ports/broker.ts";

interface Entry {
  seq: number;
  message: AcceptedMessage;
  deliveryCount: number;
}

/**
 * The single-node default's broker: the same contract as JetStream (append acked once stored,
 * dedupe window, at-least-once persist queue, fan-out delivery) inside one process, so a newcomer
 * needs no NATS. It keeps the log in memory: messages are durable once the consumer has written
 * them to PostgreSQL, which in one process happens within milliseconds of the ack.
 */
export class InProcessBroker implements Broker {
  private seq = 0;
  private readonly dedupe = new Map<string, { seq: number; at: number }>();
  private readonly ready: Entry[] = [];
  private readonly inFlight = new Map<number, Entry>();
  private wake: (() => void) | undefined;
  private readonly deliveryListeners = new Set<(m: StoredMessage) => void>();
  private readonly signalListeners = new Map<string, Set<(d: unknown) => void>>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly duplicateWindowMs = 120_000) {}

  healthy(): boolean {
    return true;
  }

  log = {
    append: (message: AcceptedMessage, dedupeKey: string): Promise<AppendResult> => {
      const now = Date.now();
      this.expireDedupe(now);
      const seen = this.dedupe.get(dedupeKey);
      if (seen) return Promise.resolve({ streamSeq: seen.seq, duplicate: true });
      const seq = ++this.seq;
      this.dedupe.set(dedupeKey, { seq, at: now });
      this.ready.push({ seq, message, deliveryCount: 0 });
      this.wake?.();
      return Promise.resolve({ streamSeq: seq, duplicate: false });
    },
  };

  /** Map iteration order is insertion order, so the oldest entries come first. */
  private expireDedupe(now: number): void {
    for (const [key, { at }] of this.dedupe) {
      if (now - at < this.duplicateWindowMs) break;
      this.dedupe.delete(key);
    }
  }

  persistQueue = {
    run: async (
      handle: (batch: QueuedMessage[]) => Promise<void>,
      { maxBatch, signal }: { maxBatch: number; signal: AbortSignal },
    ) => {
      const onAbort = () => this.wake?.();
      signal.addEventListener("abort", onAbort, { once: true });
      while (!signal.aborted) {
        if (this.ready.length === 0) {
          await new Promise<void>((resolve) => this.wake = resolve);
          this.wake = undefined;
          continue;
        }
        const batch = this.ready.splice(0, maxBatch).map((e) => this.lease(e));
        await handle(batch);
      }
      signal.removeEventListener("abort", onAbort);
    },
  };

  private lease(entry: Entry): QueuedMessage {
    entry.deliveryCount++;
    this.inFlight.set(entry.seq, entry);
    const settle = () => this.inFlight.delete(entry.seq);
    return {
      message: entry.message,
      deliveryCount: entry.deliveryCount,
      ack: settle,
      term: settle,
      nak: (delayMs) => {
        if (!settle()) return;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          // Redeliveries go first, keeping the log's order as JetStream would.
          this.ready.unshift(entry);
          this.ready.sort((a, b) => a.seq - b.seq);
          this.wake?.();
        }, delayMs);
        this.timers.add(timer);
      },
    };
  }

  delivery = {
    publish: (message: StoredMessage) => {
      for (const listener of this.deliveryListeners) listener(message);
    },
    subscribe: (onMessage: (m: StoredMessage) => void) => {
      this.deliveryListeners.add(onMessage);
      return () => this.deliveryListeners.delete(onMessage);
    },
  };

  signals = {
    publish: (topic: string, data: unknown) => {
      for (const listener of this.signalListeners.get(topic) ?? []) listener(data);
    },
    subscribe: (topic: string, onData: (d: unknown) => void) => {
      const set = this.signalListeners.get(topic) ?? new Set();
      set.add(onData);
      this.signalListeners.set(topic, set);
      return () => set.delete(onData);
    },
  };

  close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.wake?.();
    return Promise.resolve();
  }
}
