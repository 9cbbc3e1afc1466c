import { sleep } from "../../shared/async/sleep.ts";
import type { FaultOutcome, RunningLoad, SuiteContext } from "../scenario.ts";

type Fault = (ctx: SuiteContext, running: RunningLoad) => Promise<FaultOutcome>;

const RESTART_PAUSE_MS = 500;

/** 1. SIGKILL the producer mid-stream and start it again on the same port. */
export const killProducer: Fault = async ({ topology, profile }) => {
  for (let i = 0; i < profile.kills; i++) {
    if (i) await sleep(profile.warmupMs);
    await topology.killProducer(0);
    await sleep(RESTART_PAUSE_MS);
    await topology.startProducer(0);
  }
  return { healedAt: Date.now() };
};

/** 2. SIGKILL one of the two consumer instances mid-batch and start it again. */
export const killConsumer: Fault = async ({ topology, profile }, { subscribers }) => {
  const reconnectsBefore = subscribers.reduce((n, s) => n + s.reconnects, 0);
  for (let i = 0; i < profile.kills; i++) {
    if (i) await sleep(profile.warmupMs);
    await topology.killConsumer(1);
    await sleep(RESTART_PAUSE_MS);
    await topology.startConsumer(1);
  }
  const moved = subscribers.reduce((n, s) => n + s.reconnects, 0) - reconnectsBefore;
  return {
    healedAt: Date.now(),
    notes: [`${moved} subscriber reconnects with since`],
  };
};

/** 3. Stop nats-server for 5 s; JetStream's store survives; publishers retry meanwhile. */
export const stopNats: Fault = async ({ topology }, { load }) => {
  await topology.stopNats();
  await sleep(5_000);
  await topology.startNats();
  // What the SDK still holds now was refused (UNAVAILABLE) or not answered while NATS was down.
  const { sent, acked } = load.ledger;
  const awaiting = [...sent.keys()].filter((id) => !acked.has(id)).length;
  return {
    healedAt: Date.now(),
    notes: [`${awaiting} publishes awaiting their ack (retried by the SDK) when NATS came back`],
  };
};

/**
 * 4. Stop PostgreSQL for 10 s: JetStream keeps the messages so publishes are still acked; the
 * consumer backs off and catches up in order once PostgreSQL is back.
 */
export const stopPostgres: Fault = async ({ topology }, { load }) => {
  await topology.stopPostgres();
  const ackedBefore = load.ledger.acked.size;
  // The second half counts apart: past every cache's lifetime, acks must still come.
  await sleep(5_000);
  const ackedFirstHalf = load.ledger.acked.size - ackedBefore;
  await sleep(5_000);
  const ackedSecondHalf = load.ledger.acked.size - ackedBefore - ackedFirstHalf;
  await topology.startPostgres();
  return {
    healedAt: Date.now(),
    notes: [
      `${ackedFirstHalf} + ${ackedSecondHalf} publishes acked in the first and last 5 s of the ` +
      `PostgreSQL outage`,
    ],
    violations: ackedSecondHalf > 0
      ? []
      : ["no publish was acked in the last 5 s of the PostgreSQL outage"],
  };
};

/**
 * 5. (cluster) SIGKILL each consumer instance in turn and start it again: its partitions move to
 * the others within the lease time, and back when it returns; order per channel holds throughout.
 */
export const killConsumersInTurn: Fault = async ({ topology, profile }) => {
  for (let i = 0; i < topology.consumerUrls.length * profile.kills; i++) {
    if (i) await sleep(profile.warmupMs);
    const index = i % topology.consumerUrls.length;
    await topology.killConsumer(index);
    await sleep(RESTART_PAUSE_MS);
    await topology.startConsumer(index);
  }
  return { healedAt: Date.now() };
};

/** Longest a publish may be refused after the stream's leader dies, before a new one answers. */
const LEADER_FAILOVER_BOUND_MS = 10_000;

/**
 * 6. (cluster) SIGKILL the nats-server leading the message stream under load, restart it 6 s later.
 * The R3 stream elects a new leader; publishes are refused (UNAVAILABLE, retried by the SDK) only
 * until then. Measures the longest stretch without an ack.
 */
export const killNatsLeader: Fault = async ({ topology }, { load }) => {
  const watch = new AckGapWatch(load.ledger.acked);
  const killedAt = Date.now();
  const leader = await topology.killNatsLeader();
  await sleep(6_000);
  const gapMs = watch.stop(killedAt);
  await leader.restart();
  return {
    healedAt: Date.now(),
    notes: [`leader ${leader.name} killed: no publish acked for ${gapMs} ms at most`],
    violations: gapMs > LEADER_FAILOVER_BOUND_MS
      ? [`publishing stopped for ${gapMs} ms after the leader died`]
      : [],
  };
};

/** Samples how many acks have come, every 50 ms, to find the longest stretch with none. */
class AckGapWatch {
  private last = Date.now();
  private lastCount: number;
  private longest = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly acked: Map<string, string>) {
    this.lastCount = acked.size;
    this.timer = setInterval(() => this.sample(), 50);
  }

  private sample(): void {
    const now = Date.now();
    if (this.acked.size !== this.lastCount) {
      this.longest = Math.max(this.longest, now - this.last);
      this.last = now;
      this.lastCount = this.acked.size;
    }
  }

  /** The longest stretch without an ack since `from` (an ongoing one counts to now). */
  stop(from: number): number {
    clearInterval(this.timer);
    this.sample();
    return Math.max(this.longest, Date.now() - Math.max(this.last, from));
  }
}
