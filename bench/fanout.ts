import type { LatencySummary } from "./histogram.ts";
import type { Ledger } from "./ledger.ts";
import { type Connect, inBatches, openSocket, Probe, Publisher, Subscriber } from "./load.ts";

export interface Topology {
  publishers: number;
  channels: number;
  subscribersPerChannel: number;
  bodyBytes: number;
}

export interface StepResult {
  targetRate: number;
  /** Publishes actually sent per second (the generator's own pace). */
  sentRate: number;
  acked: number;
  errors: number;
  deliveries: number;
  /** Deliveries per second over the step, from first send to last delivery. */
  deliveryRate: number;
  ack: LatencySummary;
  delivery: LatencySummary;
  /** Time after the last send until every ack and delivery was in; null when it never drained. */
  drainMs: number | null;
  sustained: boolean;
  limitedBy?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** When a step counts as sustained: drained soon after sending stopped, no errors, p99 < 1 s. */
const SUSTAINED_P99_MS = 1_000;

/**
 * P publisher sockets and 10 subscriber sockets per channel, over real WebSockets. A step sends
 * open-loop at a fixed rate (never waiting for acks), round-robin over the channels.
 */
export class FanoutLoad {
  private constructor(
    private readonly current: { probe: Probe },
    private readonly topology: Topology,
    private readonly channelIds: string[],
    private readonly publishers: Publisher[],
    private readonly subscribers: Subscriber[],
  ) {}

  static async open(
    urls: { producerWs: string; consumerWs: string },
    token: string,
    topology: Topology,
    ledger: Ledger,
    prefix: string,
    connect: Connect = openSocket,
  ): Promise<FanoutLoad> {
    const channelIds = Array.from({ length: topology.channels }, (_, i) => `${prefix}-${i}`);
    const current = { probe: new Probe() };
    const probe = () => current.probe;
    const publishers = await inBatches(
      topology.publishers,
      8,
      (i) => Publisher.open(urls.producerWs, token, `${prefix}-p${i}`, ledger, probe, connect),
    );
    const total = topology.channels * topology.subscribersPerChannel;
    const subscribers = await inBatches(total, 50, async (i) => {
      const s = await Subscriber.open(urls.consumerWs, token, probe, connect);
      const channel = channelIds[i % topology.channels];
      await s.subscribe(channel, ledger, i < topology.channels);
      return s;
    });
    return new FanoutLoad(current, topology, channelIds, publishers, subscribers);
  }

  get channels(): string[] {
    return this.channelIds;
  }

  /** Sends at `rate` msg/s for `durationMs`, then waits up to `graceMs` for the step to drain. */
  async step(rate: number, durationMs: number, graceMs: number): Promise<StepResult> {
    const probe = this.current.probe = new Probe();
    const channels = this.channelIds;
    const publishers = this.publishers;
    const fanout = this.topology.subscribersPerChannel;
    const start = performance.now();
    let i = 0;
    for (let elapsed = 0; elapsed < durationMs; elapsed = performance.now() - start) {
      const due = Math.floor((rate * elapsed) / 1000);
      for (; i < due; i++) {
        const c = i % channels.length;
        publishers[c % publishers.length].publish(channels[c], this.topology.bodyBytes);
      }
      await sleep(1);
    }
    const sendEnd = performance.now();
    const done = () =>
      probe.acks + probe.errors === probe.sent && probe.deliveries >= probe.acks * fanout;
    let drainMs: number | null = null;
    while (performance.now() - sendEnd < graceMs) {
      if (done()) {
        drainMs = Math.round(performance.now() - sendEnd);
        break;
      }
      await sleep(5);
    }
    const end = sendEnd + (drainMs ?? graceMs);
    const sentRate = probe.sent / ((sendEnd - start) / 1000);
    const delivery = probe.delivery.summary();
    const limitedBy = drainMs === null
      ? `not drained ${graceMs} ms after sending stopped`
      : probe.errors > 0
      ? `${probe.errors} publish errors`
      : delivery.p99 > SUSTAINED_P99_MS
      ? `p99 delivery ${delivery.p99} ms > ${SUSTAINED_P99_MS} ms`
      : sentRate < rate * 0.97
      ? `load generator reached only ${Math.round(sentRate)} msg/s`
      : undefined;
    return {
      targetRate: rate,
      sentRate: Math.round(sentRate),
      acked: probe.acks,
      errors: probe.errors,
      deliveries: probe.deliveries,
      deliveryRate: Math.round(probe.deliveries / ((end - start) / 1000)),
      ack: probe.ack.summary(),
      delivery,
      drainMs,
      sustained: limitedBy === undefined,
      limitedBy,
    };
  }

  /** Waits (bounded) until every ack and delivery of the last step is in. */
  async settle(timeoutMs: number): Promise<boolean> {
    const fanout = this.topology.subscribersPerChannel;
    const deadline = performance.now() + timeoutMs;
    const p = this.current.probe;
    while (performance.now() < deadline) {
      if (p.acks + p.errors === p.sent && p.deliveries >= p.acks * fanout) return true;
      await sleep(20);
    }
    return false;
  }

  close(): void {
    for (const s of [...this.publishers, ...this.subscribers]) s.close();
  }
}
