import type { ServiceProcess } from "../shared/testing/infra.ts";
import type { LatencySummary } from "./histogram.ts";
import type { Ledger } from "./ledger.ts";
import { inBatches, Probe, Publisher, Subscriber } from "./load.ts";

export interface ConnectionsResult {
  sockets: number;
  /** The profile's count, when `sockets` had to stay below it. */
  requested?: number;
  /** Why `sockets` is below `requested` (the open-file limit). */
  limitedBy?: string;
  openSeconds: number;
  rssIdleMiB: number;
  rssMiB: number;
  perSocketKiB: number;
  broadcasts: number;
  deliveries: number;
  complete: boolean;
  delivery: LatencySummary;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sockets per loopback address. A TCP connection is unique by its address-port pairs, so one
 * destination address offers the load generator no more than the ephemeral port range (28,232
 * ports here) of source ports; spreading the sockets over 127.0.0.1, 127.0.0.2, … (all loopback;
 * the consumer listens on every address) gives each address its own range. Kept below the range
 * so sockets in TIME_WAIT from earlier scenarios never run it out.
 */
const SOCKETS_PER_ADDRESS = 10_000;

/** The consumer's socket URL for socket `i`: 127.0.0.(1 + i / SOCKETS_PER_ADDRESS). */
function spreadUrl(port: number, i: number): string {
  return `ws://127.0.0.${1 + Math.floor(i / SOCKETS_PER_ADDRESS)}:${port}/v1/ws`;
}

/** Resident set size of a process in bytes, from /proc. */
export async function rssBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb * 1024;
}

/**
 * `sockets` idle subscribers of one channel on one consumer process (started for this scenario
 * alone): its RSS before and after, then `broadcasts` messages to all of them, one at a time.
 */
export async function connectionsScenario(opts: {
  consumer: ServiceProcess;
  producerWs: string;
  token: string;
  sockets: number;
  broadcasts: number;
  ledger: Ledger;
  channel: string;
  progress: (line: string) => void;
}): Promise<ConnectionsResult> {
  const { consumer, sockets, ledger } = opts;
  const probe = new Probe();
  await sleep(1_000);
  const rssIdle = await rssBytes(consumer.child.pid);
  const opened = performance.now();
  let count = 0;
  const subs = await inBatches(sockets, 64, async (i) => {
    const s = await Subscriber.open(spreadUrl(consumer.port, i), opts.token, () => probe);
    await s.subscribe(opts.channel, ledger, i === 0);
    if (++count % 10_000 === 0) opts.progress(`${count} sockets subscribed`);
    return s;
  });
  const openSeconds = (performance.now() - opened) / 1000;
  await sleep(2_000);
  const rss = await rssBytes(consumer.child.pid);
  const pub = await Publisher.open(
    opts.producerWs,
    opts.token,
    `${opts.channel}-p`,
    ledger,
    () => probe,
  );
  // One broadcast at a time, each fully delivered (or timed out) before the next.
  let complete = true;
  for (let b = 0; b < opts.broadcasts; b++) {
    const want = (b + 1) * sockets;
    pub.publish(opts.channel, 128);
    const deadline = performance.now() + 30_000;
    while (probe.deliveries < want && performance.now() < deadline) await sleep(5);
    if (probe.deliveries < want) complete = false;
    await sleep(200);
  }
  pub.close();
  for (const s of subs) s.close();
  return {
    sockets,
    openSeconds: Math.round(openSeconds * 10) / 10,
    rssIdleMiB: mib(rssIdle),
    rssMiB: mib(rss),
    perSocketKiB: Math.round(((rss - rssIdle) / sockets / 1024) * 10) / 10,
    broadcasts: opts.broadcasts,
    deliveries: probe.deliveries,
    complete,
    delivery: probe.delivery.summary(),
  };
}

function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}
