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
  /** Consumer RSS with the sockets open, once settled (see SETTLE_MS). */
  rssMiB: number;
  perSocketKiB: number;
  /**
   * The same 2 s after the last socket subscribed, the opening burst's heap still there (absent
   * from results recorded before it was: those measured only this, as `rssMiB`).
   */
  rssAtOpenMiB?: number;
  perSocketAtOpenKiB?: number;
  broadcasts: number;
  deliveries: number;
  complete: boolean;
  delivery: LatencySummary;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How long the idle sockets are left before their RSS counts. Right after the opening burst the
 * consumer's V8 heap still holds the room it grew to for the upgrades (young generation and all,
 * tens of MiB whatever the count); V8 gives it back after some idle seconds (20-30 s measured),
 * which is the memory 100,000 idle sockets cost. The figure is the highest RSS over the last
 * SETTLE_TAIL_MS, read once a second, and the one right after opening is reported too.
 */
const SETTLE_MS = 40_000;
const SETTLE_TAIL_MS = 10_000;

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
  const rssAtOpen = await rssBytes(consumer.child.pid);
  const rss = await settledRss(consumer.child.pid, SETTLE_MS, SETTLE_TAIL_MS);
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
    perSocketKiB: perSocketKiB(rss - rssIdle, sockets),
    rssAtOpenMiB: mib(rssAtOpen),
    perSocketAtOpenKiB: perSocketKiB(rssAtOpen - rssIdle, sockets),
    broadcasts: opts.broadcasts,
    deliveries: probe.deliveries,
    complete,
    delivery: probe.delivery.summary(),
  };
}

/** The highest RSS of `pid` over the last `tailMs` of `ms`, read once a second. */
async function settledRss(pid: number, ms: number, tailMs: number): Promise<number> {
  let highest = 0;
  for (let waited = 0; waited < ms; waited += 1_000) {
    await sleep(1_000);
    if (waited + 1_000 > ms - tailMs) highest = Math.max(highest, await rssBytes(pid));
  }
  return highest;
}

function perSocketKiB(bytes: number, sockets: number): number {
  return Math.round((bytes / sockets / 1024) * 10) / 10;
}

function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}
