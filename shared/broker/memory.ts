import type { AcceptedMessage, StoredMessage } from "../domain/message.ts";
import { AppError } from "../errors.ts";
import type {
  AppendResult,
  Broker,
  ChannelFollow,
  DeadLetter,
  EventDeadLetter,
  LogBatch,
  MessageLog,
  PartitionedLog,
  PartitionOwnership,
  ReadOptions,
} from "../ports/broker.ts";
import { activeTraceparent, tracingOn } from "../tracing/tracing.ts";
import { DedupeWindow } from "./dedupe_window.ts";
import { FileJournal } from "./journal.ts";
import { partitionOf } from "./partitions.ts";

const MAX_DEAD_LETTERS = 10_000;

interface Entry {
  seq: number;
  message: AcceptedMessage;
  /** The publish's traceparent (tracing on): kept in memory only, not in the journal. */
  trace?: string;
}

/**
 * The single-node default's broker: the same contract as JetStream (append acked once stored,
 * dedupe window, the log read back per partition in order, delivery to followed channels) inside
 * one process, so a newcomer needs no NATS; its one instance owns every partition. An entry is
 * kept until its partition's reader has handled it. With a journal, "stored" means fsync'd to
 * disk, and messages acked but not yet in PostgreSQL when the process died are read again at the
 * next start (under a new log id, so from offset 0: PostgreSQL's unique key drops the ones it has).
 */
export class InProcessBroker implements Broker {
  private seq = 0;
  private readonly dedupe: DedupeWindow;
  /** First appends of a key not yet durable: a duplicate waits for its first. */
  private readonly storing = new Map<string, Promise<void>>();
  /** Being appended, or appended and not yet handled: the journal may be emptied only at zero. */
  private unsettled = 0;
  /** Per partition, appended entries its reader has not handled yet, in append order. */
  private readonly queues: Entry[][];
  private readonly wake = new Map<number, () => void>();
  private readonly following = new Map<string, (m: StoredMessage) => void>();
  private readonly signalListeners = new Map<string, Set<(d: unknown) => void>>();
  /** The newest dead letters; like JetStream's limits, the oldest go first past the bound. */
  private readonly letters: (DeadLetter | EventDeadLetter)[] = [];
  readonly log: MessageLog & PartitionedLog;
  readonly ownership: PartitionOwnership = {
    run: async (work, signal) => {
      await Promise.all(this.queues.map((_, partition) => work(partition, signal)));
    },
  };

  constructor(
    duplicateWindowMs = 120_000,
    private readonly journal?: FileJournal,
    partitions = 16,
  ) {
    this.queues = Array.from({ length: partitions }, () => []);
    this.dedupe = new DedupeWindow(duplicateWindowMs);
    this.log = {
      partitions,
      id: `in-process-${crypto.randomUUID()}`,
      append: (message, dedupeKey) => this.append(message, dedupeKey),
      read: (partition, after, handle, opts) => this.read(partition, after, handle, opts),
    };
  }

  /**
   * A broker whose acks survive a crash: appends are journaled under `journalPath` and whatever
   * a previous run left unpersisted is queued again.
   */
  static async durable(
    journalPath: string,
    duplicateWindowMs: number,
    partitions?: number,
  ): Promise<InProcessBroker> {
    const { journal, records } = await FileJournal.open(journalPath);
    const broker = new InProcessBroker(duplicateWindowMs, journal, partitions);
    for (const r of records) {
      broker.seq = Math.max(broker.seq, r.seq);
      if (Date.now() - r.at < duplicateWindowMs) broker.dedupe.set(r.dedupeKey, r.seq);
      broker.unsettled++;
      broker.enqueue({ seq: r.seq, message: r.message });
    }
    return broker;
  }

  healthy(): boolean {
    return true;
  }

  private async append(message: AcceptedMessage, dedupeKey: string): Promise<AppendResult> {
    const seen = this.dedupe.get(dedupeKey);
    if (seen !== undefined) {
      await this.storing.get(dedupeKey);
      return { streamSeq: seen, duplicate: true };
    }
    const seq = ++this.seq;
    this.unsettled++;
    this.dedupe.set(dedupeKey, seq);
    const stored = this.journal?.append({ seq, at: Date.now(), dedupeKey, message });
    try {
      if (stored) {
        this.storing.set(dedupeKey, stored);
        await stored;
      }
    } catch {
      this.unsettled--;
      this.dedupe.delete(dedupeKey);
      throw new AppError(
        "UNAVAILABLE",
        "message log unavailable, retry with the same clientMsgId",
      );
    } finally {
      this.storing.delete(dedupeKey);
    }
    const trace = tracingOn ? activeTraceparent() : undefined;
    this.enqueue(trace ? { seq, message, trace } : { seq, message });
    return { streamSeq: seq, duplicate: false };
  }

  private enqueue(entry: Entry): void {
    const partition = partitionOf(entry.message.channel, this.queues.length);
    this.queues[partition].push(entry);
    this.wake.get(partition)?.();
  }

  private async read(
    partition: number,
    after: number,
    handle: (batch: LogBatch) => Promise<void>,
    { maxBatch, signal }: ReadOptions,
  ): Promise<void> {
    const queue = this.queues[partition];
    const onAbort = () => this.wake.get(partition)?.();
    signal.addEventListener("abort", onAbort, { once: true });
    let cursor = after;
    try {
      while (!signal.aborted) {
        if (!queue.some((e) => e.seq > cursor)) {
          await new Promise<void>((resolve) => this.wake.set(partition, resolve));
          this.wake.delete(partition);
          continue;
        }
        const from = queue.findIndex((e) => e.seq > cursor);
        const batch = queue.slice(from, from + maxBatch);
        const lastSeq = batch[batch.length - 1].seq;
        await handle({
          entries: batch.map(({ seq, message, trace }) =>
            trace ? { streamSeq: seq, message, trace } : { streamSeq: seq, message }
          ),
          lastSeq,
        });
        cursor = lastSeq;
        this.settle(queue.splice(0, from + batch.length).length);
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** `n` entries are in PostgreSQL (or dead-lettered): at zero left, the journal is emptied. */
  private settle(n: number): void {
    this.unsettled -= n;
    if (n && this.unsettled === 0) this.journal?.truncateIf(() => this.unsettled === 0);
  }

  delivery = {
    /** One process: every delivery is handed over in-process, none is received. */
    received: 0,
    publish: (message: StoredMessage) => {
      this.following.get(message.channel)?.(message);
    },
    follow: (channel: string, onMessage: (m: StoredMessage) => void): ChannelFollow => {
      if (this.following.has(channel)) throw new Error(`already following ${channel}`);
      this.following.set(channel, onMessage);
      return { ready: Promise.resolve(), unfollow: () => this.following.delete(channel) };
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
    put: (letter: DeadLetter | EventDeadLetter) => {
      this.letters.push(letter);
      if (this.letters.length > MAX_DEAD_LETTERS) this.letters.shift();
      return Promise.resolve();
    },
    count: () => Promise.resolve(this.letters.length),
  };

  close(): Promise<void> {
    for (const wake of this.wake.values()) wake();
    this.journal?.close();
    return Promise.resolve();
  }
}
