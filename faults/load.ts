import { sleep } from "../shared/async/sleep.ts";
import type { LoadClient } from "./load_client.ts";

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
}

/**
 * Steady publishing from several clients over several channels at `ratePerSecond` in total, with
 * at most `inFlight` unacknowledged publishes per client, until `stop()`; then every publish in
 * flight is settled (acked, or rejected by the SDK).
 */
export class Load {
  readonly ledger: Ledger = {
    sent: new Map(),
    acked: new Map(),
    rejected: [],
    timeline: new Map(),
  };
  private clock = 0;
  private stopped = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private running?: Promise<void>;

  constructor(
    private readonly publishers: LoadClient[],
    private readonly channels: string[],
    private readonly opts: { ratePerSecond: number; inFlight: number },
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
      this.ledger.sent.set(clientMsgId, channel);
      const entry: { publisher: number; sent: number; acked?: number } = {
        publisher: index,
        sent: ++this.clock,
      };
      this.ledger.timeline.set(clientMsgId, entry);
      const p = publisher.publish(channel, `load ${index}/${n}`, clientMsgId).then(
        () => {
          entry.acked = ++this.clock;
          this.ledger.acked.set(clientMsgId, channel);
        },
        (err) => void this.ledger.rejected.push(`${clientMsgId}: ${err.code}: ${err.message}`),
      );
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
}
