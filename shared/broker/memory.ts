import type { AcceptedMessage, StoredMessage } from "../domain/message.ts";
import { AppError } from "../errors.ts";
import type {
  AppendResult,
  Broker,
  DeadLetter,
  MessageLog,
  QueuedMessage,
} from "../ports/broker.ts";
import { FileJournal } from "./journal.ts";

const MAX_DEAD_LETTERS = 10_000;

interface Entry {
  seq: number;
  message: AcceptedMessage;
  deliveryCount: number;
}

/**
 * The single-node default's broker: the same contract as JetStream (append acked once stored,
 * dedupe window, at-least-once persist queue, fan-out delivery) inside one process, so a newcomer
 * needs no NATS. With a journal, "stored" means fsync'd to disk, and messages acked but not yet
 * in PostgreSQL when the process died are replayed at the next start.
 */
export class InProcessBroker implements Broker {
  private seq = 0;
  /** `stored` settles when the first append of that key is durable (duplicates wait for it). */
  private readonly dedupe = new Map<string, { seq: number; at: number; stored: Promise<void> }>();
  /** Appended and not yet acked or terminated: the journal may be emptied only at zero. */
  private unsettled = 0;
  private readonly ready: Entry[] = [];
  private readonly inFlight = new Map<number, Entry>();
  private wake: (() => void) | undefined;
  private readonly deliveryListeners = new Set<(m: StoredMessage) => void>();
  private readonly signalListeners = new Map<string, Set<(d: unknown) => void>>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** The newest dead letters; like JetStream's limits, the oldest go first past the bound. */
  private readonly letters: DeadLetter[] = [];

  constructor(
    private readonly duplicateWindowMs = 120_000,
    private readonly journal?: FileJournal,
  ) {}

  /**
   * A broker whose acks survive a crash: appends are journaled under `journalPath` and whatever
   * a previous run left unpersisted is queued again.
   */
  static async durable(journalPath: string, duplicateWindowMs: number): Promise<InProcessBroker> {
    const { journal, records } = await FileJournal.open(journalPath);
    const broker = new InProcessBroker(duplicateWindowMs, journal);
    for (const r of records) {
      broker.seq = Math.max(broker.seq, r.seq);
      broker.dedupe.set(r.dedupeKey, { seq: r.seq, at: r.at, stored: Promise.resolve() });
      broker.ready.push({ seq: r.seq, message: r.message, deliveryCount: 0 });
      broker.unsettled++;
    }
    return broker;
  }

  healthy(): boolean {
    return true;
  }

  log: MessageLog = {
    append: async (message: AcceptedMessage, dedupeKey: string): Promise<AppendResult> => {
      const now = Date.now();
      this.expireDedupe(now);
      const seen = this.dedupe.get(dedupeKey);
      if (seen) {
        await seen.stored;
        return { streamSeq: seen.seq, duplicate: true };
      }
      const seq = ++this.seq;
      this.unsettled++;
      const stored = this.journal?.append({ seq, at: now, dedupeKey, message }) ??
        Promise.resolve();
      this.dedupe.set(dedupeKey, { seq, at: now, stored });
      try {
        await stored;
      } catch {
        this.unsettled--;
        this.dedupe.delete(dedupeKey);
        throw new AppError(
          "UNAVAILABLE",
          "message log unavailable, retry with the same clientMsgId",
        );
      }
      this.ready.push({ seq, message, deliveryCount: 0 });
      this.wake?.();
      return { streamSeq: seq, duplicate: false };
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
    const release = () => this.inFlight.delete(entry.seq);
    const settle = () => {
      if (!release()) return;
      // Every journaled message is in PostgreSQL (or dead-lettered): the journal can be emptied.
      if (--this.unsettled === 0) this.journal?.truncateIf(() => this.unsettled === 0);
    };
    return {
      message: entry.message,
      deliveryCount: entry.deliveryCount,
      ack: settle,
      term: settle,
      nak: (delayMs) => {
        if (!release()) return;
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

  deadLetters = {
    put: (letter: DeadLetter) => {
      this.letters.push(letter);
      if (this.letters.length > MAX_DEAD_LETTERS) this.letters.shift();
      return Promise.resolve();
    },
    count: () => Promise.resolve(this.letters.length),
  };

  close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.wake?.();
    this.journal?.close();
    return Promise.resolve();
  }
}
