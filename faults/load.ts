import { sleep } from "../shared/async/sleep.ts";
import type { LoadClient } from "./load_client.ts";

/** An edit, delete or reaction the load published on one of its own stored messages. */
export interface LoadEvent {
  kind: "edit" | "delete" | "react";
  channel: string;
  /** The message acted on: its seq, and its clientMsgId in the ledger. */
  target: number;
  targetId: string;
  body: string;
}

/** One publish in EVENT_EVERY is an event, when the publisher has a stored message to act on. */
const EVENT_EVERY = 10;
/** What the events cycle through: deletes are the fewest, so most messages live on to be edited. */
const EVENT_KINDS = ["react", "edit", "react", "edit", "delete"] as const;
/** Tries at picking a message still open to events before publishing a plain message instead. */
const PICK_TRIES = 5;

/** Every publish the load made and what became of it, for reconciliation. */
export interface Ledger {
  /** clientMsgId → channel, for every message the load tried to publish. */
  sent: Map<string, string>;
  /** clientMsgId → channel, for every message the server acknowledged. */
  acked: Map<string, string>;
  /** Publishes the SDK rejected (refused by the server, or not acked in time): none expected. */
  rejected: string[];
  /**
   * clientMsgId → which publisher sent it and when it was sent and acked, on one logical clock
   * (every send and every ack ticks it): a message sent after another's ack must be stored after
   * it when both come from one publisher to one channel.
   */
  timeline: Map<string, { publisher: number; sent: number; acked?: number }>;
  /** clientMsgId → the event, for every edit, delete or reaction the load tried to publish. */
  events: Map<string, LoadEvent>;
}

/**
 * Steady publishing from several clients over several channels at `ratePerSecond` in total, with
 * at most `inFlight` unacknowledged publishes per client, until `stop()`; then every publish in
 * flight is settled (acked, or rejected by the SDK). About one publish in EVENT_EVERY is an edit,
 * delete or reaction on a message of the same publisher that a subscriber has been given (so it
 * is stored: the producer refuses an event on what it cannot find). A message is deleted only
 * with no event of its own in flight, and never acted on after, so no event is refused for
 * finding its target deleted, whatever order retries land in.
 */
export class Load {
  readonly ledger: Ledger = {
    sent: new Map(),
    acked: new Map(),
    rejected: [],
    timeline: new Map(),
    events: new Map(),
  };
  private clock = 0;
  /** Per publisher and channel, its acked messages (clientMsgIds), the events' candidates. */
  private readonly own = new Map<string, string[]>();
  /** Messages deleted or being deleted: no event targets them any more. */
  private readonly closed = new Set<string>();
  /** Events in flight per target. */
  private readonly busy = new Map<string, number>();
  private stopped = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private running?: Promise<void>;

  constructor(
    private readonly publishers: LoadClient[],
    private readonly channels: string[],
    private readonly opts: { ratePerSecond: number; inFlight: number },
    /** The seq of a stored message, once a subscriber has been given it. */
    private readonly seqOf: (channel: string, clientMsgId: string) => number | undefined,
  ) {}

  start(): void {
    this.running = Promise.all(this.publishers.map((p, i) => this.drive(p, i))).then(() => {});
  }

  /** Stops publishing new messages and waits for the ones in flight. */
  async stop(): Promise<Ledger> {
    this.stopped = true;
    await this.running;
    await Promise.allSettled([...this.inFlight]);
    return this.ledger;
  }

  private async drive(publisher: LoadClient, index: number): Promise<void> {
    const interval = 1000 * this.publishers.length / this.opts.ratePerSecond;
    const mine = new Set<Promise<unknown>>();
    let n = 0;
    let next = performance.now();
    while (!this.stopped) {
      if (mine.size >= this.opts.inFlight) {
        await Promise.race(mine);
        next = performance.now(); // no burst to catch up after a stall
        continue;
      }
      const channel = this.channels[(index + n++) % this.channels.length];
      const clientMsgId = crypto.randomUUID();
      const event = n % EVENT_EVERY === 0
        ? this.pickEvent(index, channel, n / EVENT_EVERY, clientMsgId)
        : undefined;
      this.ledger.sent.set(clientMsgId, channel);
      const entry: { publisher: number; sent: number; acked?: number } = {
        publisher: index,
        sent: ++this.clock,
      };
      this.ledger.timeline.set(clientMsgId, entry);
      const sending = event
        ? publisher.act(event.kind, channel, event.target, event.body, clientMsgId)
        : publisher.publish(channel, `load ${index}/${n}`, clientMsgId);
      const p = sending.then(
        () => {
          entry.acked = ++this.clock;
          this.ledger.acked.set(clientMsgId, channel);
          if (!event) this.candidates(index, channel).push(clientMsgId);
        },
        (err) => void this.ledger.rejected.push(`${clientMsgId}: ${err.code}: ${err.message}`),
      ).finally(() => {
        if (event) this.busy.set(event.targetId, this.busy.get(event.targetId)! - 1);
      });
      mine.add(p);
      this.inFlight.add(p);
      p.finally(() => {
        mine.delete(p);
        this.inFlight.delete(p);
      });
      next += interval;
      await sleep(Math.max(0, next - performance.now()));
    }
  }

  private candidates(publisher: number, channel: string): string[] {
    const key = `${publisher}:${channel}`;
    let list = this.own.get(key);
    if (!list) this.own.set(key, list = []);
    return list;
  }

  /** The `k`th event of a publisher, on one of its stored messages still open to it, if any. */
  private pickEvent(
    publisher: number,
    channel: string,
    k: number,
    clientMsgId: string,
  ): LoadEvent | undefined {
    const kind = EVENT_KINDS[k % EVENT_KINDS.length];
    const list = this.candidates(publisher, channel);
    for (let i = 0; i < PICK_TRIES && list.length > 0; i++) {
      const targetId = list[Math.floor(Math.random() * list.length)];
      const target = this.seqOf(channel, targetId);
      const pending = this.busy.get(targetId) ?? 0;
      if (target === undefined || this.closed.has(targetId)) continue;
      if (kind === "delete" && pending > 0) continue;
      if (kind === "delete") this.closed.add(targetId);
      this.busy.set(targetId, pending + 1);
      const body = { edit: `edited ${clientMsgId}`, delete: "", react: "👍" }[kind];
      const event = { kind, channel, target, targetId, body };
      this.ledger.events.set(clientMsgId, event);
      return event;
    }
    return undefined;
  }
}
