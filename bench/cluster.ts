import type { ServiceProcess } from "../shared/testing/infra.ts";
import { wsUrl } from "../shared/testing/system.ts";
import { cpuMeter } from "./cpu.ts";
import { FanoutLoad, type Topology } from "./fanout.ts";
import type { Ledger } from "./ledger.ts";

/** One consumer instance's share of a cluster step. */
export interface InstanceShare {
  partitions: number;
  deliveries: number;
  cpuPercent: number;
  /** CPU time per 1,000 deliveries this instance made (its persisting share included). */
  cpuMsPer1000: number;
}

export interface ClusterStep {
  instances: number;
  rate: number;
  sustained: boolean;
  perInstance: InstanceShare[];
  /** The rest of the machine over the step, % of one core. */
  cpu: Record<string, number>;
}

/** Channels of the cluster scenario, split evenly between the instances' sockets. */
const CHANNELS = 12;
const SUBSCRIBERS_PER_CHANNEL = 10;
/** Long enough for leases to settle after an instance joins (a lease tick is 1 s). */
const SETTLE_TIMEOUT_MS = 15_000;

/**
 * The same open-loop load (`rate` msg/s, fan-out 10, 12 channels) against 1, 2 and 3 consumer
 * instances, each instance's sockets following channels of their own: per instance, CPU per 1,000
 * deliveries and CPU %, to show an instance's cost follows its own sockets' traffic (interest-based
 * delivery) and its share of the partitions, not the total. Adds instances with `startConsumer`
 * and stops the added ones at the end.
 */
export async function clusterScenario(opts: {
  consumers: ServiceProcess[];
  startConsumer(): Promise<ServiceProcess>;
  producerWs: string;
  token: string;
  /** The log's partition count: settled means the instances own exactly these between them. */
  partitions: number;
  ledger: Ledger;
  prefix: string;
  rate: number;
  stepMs: number;
  graceMs: number;
  bodyBytes: number;
  others: Record<string, { pids?: number[]; comm?: string }>;
  progress(line: string): void;
}): Promise<ClusterStep[]> {
  const instances = [...opts.consumers];
  const added: ServiceProcess[] = [];
  const steps: ClusterStep[] = [];
  try {
    for (let n = 1; n <= 3; n++) {
      while (instances.length < n) {
        const c = await opts.startConsumer();
        instances.push(c);
        added.push(c);
      }
      const members = instances.slice(0, n);
      const partitions = await partitionsSettled(members, opts.partitions);
      const topology: Topology = {
        publishers: 2,
        channels: CHANNELS / n,
        subscribersPerChannel: SUBSCRIBERS_PER_CHANNEL,
        bodyBytes: opts.bodyBytes,
      };
      const loads = await Promise.all(members.map((c, i) =>
        FanoutLoad.open(
          { producerWs: opts.producerWs, consumerWs: wsUrl(`http://127.0.0.1:${c.port}`) },
          opts.token,
          topology,
          opts.ledger,
          `${opts.prefix}-n${n}-i${i}`,
        )
      ));
      try {
        const groups = Object.fromEntries(
          members.map((c, i) => [`c${i}`, { pids: [c.child.pid] }]),
        );
        const started = performance.now();
        const cpu = await cpuMeter({ ...groups, ...opts.others });
        const results = await Promise.all(
          loads.map((l) => l.step(opts.rate / n, opts.stepMs, opts.graceMs)),
        );
        const used = await cpu.stop();
        const seconds = (performance.now() - started) / 1000;
        const perInstance = members.map((_, i) => {
          const deliveries = results[i].deliveries;
          const cpuPercent = used[`c${i}`];
          return {
            partitions: partitions[i],
            deliveries,
            cpuPercent,
            cpuMsPer1000: deliveries
              ? Math.round((cpuPercent * 10 * seconds / (deliveries / 1000)) * 10) / 10
              : 0,
          };
        });
        const step: ClusterStep = {
          instances: n,
          rate: opts.rate,
          sustained: results.every((r) => r.sustained),
          perInstance,
          cpu: Object.fromEntries(Object.keys(opts.others).map((k) => [k, used[k]])),
        };
        steps.push(step);
        opts.progress(clusterLine(step));
        for (const l of loads) await l.settle(60_000);
      } finally {
        for (const l of loads) l.close();
      }
    }
  } finally {
    for (const c of added) await c.stop();
  }
  return steps;
}

export function clusterLine(s: ClusterStep): string {
  const shares = s.perInstance.map((p, i) =>
    `#${i + 1}: ${p.partitions} partitions, ${p.deliveries} deliveries, cpu ${p.cpuPercent}% = ` +
    `${p.cpuMsPer1000} ms/1000`
  ).join("; ");
  return `${s.instances} instance(s), ${s.rate} msg/s${s.sustained ? "" : " (fell behind)"}: ` +
    shares;
}

/** Waits until the instances own every partition once between them, each some; returns counts. */
async function partitionsSettled(members: ServiceProcess[], partitions: number): Promise<number[]> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (true) {
    const owned = await Promise.all(members.map(async (c) => {
      const page = await (await fetch(`http://127.0.0.1:${c.port}/metrics`)).text();
      const line = page.split("\n").find((l) => l.startsWith("rtm_persist_partitions_owned"));
      return Number(line?.split(" ").at(-1));
    }));
    const total = owned.reduce((a, b) => a + b, 0);
    if (owned.every((o) => o > 0) && total === partitions) return owned;
    if (Date.now() > deadline) throw new Error(`partitions never settled: ${owned}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
