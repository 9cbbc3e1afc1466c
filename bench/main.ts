/**
 * `deno task bench` (full) and `deno task bench:quick`: the distributed mode as real processes
 * against the NATS and PostgreSQL on 127.0.0.1 (or TEST_NATS_URL / TEST_PG_ADMIN_URL), loaded
 * from this process over real WebSockets. Prints a progress line per step and a table, writes
 * every figure as JSON, and after a full run rewrites bench/RESULTS.md. Exits 1 when a
 * correctness check fails or a scenario breaks. `--cpu-prof` also profiles every service.
 */
import { connectPostgres } from "../shared/db/postgres.ts";
import { registerAndLogin } from "../shared/testing/infra.ts";
import { startDistributed, startSingleNode, wsUrl } from "../shared/testing/system.ts";
import { durableCeiling, natsCoreCeiling } from "./ceilings.ts";
import { clusterScenario } from "./cluster.ts";
import { connectionsScenario } from "./connections.ts";
import { type CpuGroups, cpuMeter } from "./cpu.ts";
import { durableScenario } from "./durable.ts";
import { FanoutLoad, type StepResult } from "./fanout.ts";
import { type ChannelFacts, Ledger } from "./ledger.ts";
import { describeMachine } from "./machine.ts";
import { offerProtocols } from "./load.ts";
import { PEERS, peerScenario } from "./peers.ts";
import { PROFILES } from "./profiles.ts";
import { renderResultsMarkdown, renderTable, targetChecks } from "./report.ts";
import type { BenchResults, Ramp } from "./results.ts";

// --render: rewrite RESULTS.md from RESULTS.json and NOTES.md (after editing the notes), no run.
// The targets are checked again from the figures, so a corrected check applies to a stored run.
if (Deno.args.includes("--render")) {
  const json = new URL("RESULTS.json", import.meta.url);
  const saved: BenchResults = JSON.parse(await Deno.readTextFile(json));
  saved.targets = targetChecks(saved);
  await Deno.writeTextFile(json, JSON.stringify(saved, null, 2) + "\n");
  await writeResultsMarkdown(saved);
  Deno.exit(0);
}

const profile = PROFILES[Deno.args.includes("--quick") ? "quick" : "full"];
// --only=fan-out,latency: just those scenarios (while tuning one); correctness is always checked,
// and a partial run never replaces RESULTS.json / RESULTS.md.
const only = Deno.args.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
// --protocol=rtm.v1: the load generator's sockets speak rtm.v1 (one frame per WebSocket frame)
// instead of rtm.v2, for an A/B of batched frames.
const protocol = Deno.args.find((a) => a.startsWith("--protocol="))?.slice("--protocol=".length);
if (protocol) offerProtocols([protocol]);
const recordsResults = profile.name === "full" && !only && !protocol;
const LATENCY_WARMUP_MS = 3_000;
/** Descriptors a process needs besides the connections scenario's sockets (the other scenarios). */
const FD_HEADROOM = 2_000;
const began = performance.now();
const progress = (scenario: string) => (line: string) =>
  console.log(
    `[${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${scenario}: ${line}`,
  );

// This process holds the connections scenario's client sockets and the consumer (a child, which
// inherits the limit) their server ends.
const fileLimit = await raiseFileLimit(profile.sockets + FD_HEADROOM);
const socketCap = String(Math.max(50_000, profile.sockets + 1_000));
// --cpu-prof: every service writes a V8 CPU profile under bench/out/prof/<service>/ on exit.
const profDir = new URL("./out/prof/", import.meta.url).pathname;
const denoArgs = (entry: string) =>
  Deno.args.includes("--cpu-prof")
    ? ["--cpu-prof", `--cpu-prof-dir=${profDir}${entry.split("/")[0]}`]
    : [];
/** Limits and caps raised for load, in both the distributed mode and the single node. */
const loadEnv = {
  RATE_PER_SECOND: "1000000",
  RATE_BURST: "1000000",
  MAX_CONNECTIONS: "50000",
  MAX_CONNECTIONS_PER_USER: socketCap,
  CONSUMER_MAX_CONNECTIONS: socketCap,
  ACCESS_TOKEN_TTL_SECONDS: "7200",
  PERSIST_BATCH_SIZE: String(profile.persistBatch),
  // The load's one user opens every channel of every scenario: past the hourly quota of 30.
  CHANNELS_PER_USER_PER_HOUR: "10000",
  STREAM_MAX_BYTES: String(512 * 1024 * 1024),
};
const sys = await startDistributed({ denoArgs, env: loadEnv });
const results: BenchResults = {
  profile,
  machine: await describeMachine(sys.natsUrl, sys.databaseUrl),
  durationSeconds: 0,
  ceilings: {},
  correctness: { violations: 0, examples: [], publishErrors: 0 },
  failures: [],
  targets: [],
  ok: false,
};
const ledger = new Ledger();
const cpuGroups: CpuGroups = {
  bench: { pids: [Deno.pid] },
  producer: { pids: [sys.producer.child.pid] },
  consumer: { pids: sys.consumers.map((c) => c.child.pid) },
  nats: { comm: "nats-server" },
  postgres: { comm: "postgres" },
};
const run = async (name: string, scenario: () => Promise<void>) => {
  if (only && name !== "correctness" && !only.some((o) => name.startsWith(o))) return;
  try {
    await scenario();
  } catch (err) {
    progress(name)(`FAILED: ${err instanceof Error ? err.message : err}`);
    results.failures.push(`${name}: ${err instanceof Error ? err.message : err}`);
  }
};

try {
  const { token } = await registerAndLogin(sys.authUrl);
  const urls = { producerWs: wsUrl(sys.producerUrl), consumerWs: wsUrl(sys.consumerUrls[0]) };
  const runId = crypto.randomUUID().slice(0, 6);
  const { topology } = profile;

  await run("ceiling nats core", async () => {
    const log = progress("ceiling nats core");
    log(`${profile.coreMessages} messages to ${topology.subscribersPerChannel} subscribers`);
    const core = await natsCoreCeiling({
      natsUrl: sys.natsUrl,
      namespace: sys.namespace,
      messages: profile.coreMessages,
      subscribers: topology.subscribersPerChannel,
      bodyBytes: topology.bodyBytes,
      timeoutMs: 60_000,
    });
    results.ceilings.core = core;
    log(`${core.msgPerSec} msg/s, ${core.deliveriesPerSec} deliveries/s`);
  });

  await run("ceiling jetstream→postgres", async () => {
    const log = progress("ceiling jetstream→postgres");
    log(`${profile.durableMessages} messages, batches of ${profile.persistBatch}`);
    const durable = await durableCeiling({
      natsUrl: sys.natsUrl,
      namespace: sys.namespace,
      messages: profile.durableMessages,
      channels: topology.channels,
      batchSize: profile.persistBatch,
      bodyBytes: topology.bodyBytes,
      timeoutMs: 120_000,
    });
    results.ceilings.durable = durable;
    log(`publish ${durable.publishPerSec} msg/s, persisted ${durable.persistedPerSec} msg/s`);
  });

  await run("durable path", async () => {
    const log = progress("durable path");
    log(`${profile.durableMessages} messages through producer → JetStream → consumer → PostgreSQL`);
    const cpu = await cpuMeter(cpuGroups);
    const d = await durableScenario({
      producerWs: urls.producerWs,
      databaseUrl: sys.databaseUrl,
      token,
      ledger,
      prefix: `dur${runId}`,
      publishers: topology.publishers,
      channels: topology.channels,
      messages: profile.durableMessages,
      window: 256,
      bodyBytes: topology.bodyBytes,
      timeoutMs: 180_000,
    });
    results.durable = { ...d, cpu: await cpu.stop() };
    log(`acked ${d.ackedPerSec} msg/s, persisted ${d.persistedPerSec} msg/s`);
    if (!d.complete) throw new Error("not every message was acked and stored within 180 s");
  });

  // The fan-out sockets serve both scenarios. Latency is measured first, at a steady rate on a
  // system the ramp has not yet pushed past its limit (after it, everything delivered, the same
  // 1,000 msg/s measured p50 delivery 3-5x higher), after a warm-up at the same rate: the first
  // seconds on new sockets and not yet optimised code paths measured p99 ack ~100 ms.
  let fanout: FanoutLoad | undefined;
  const fanoutLoad = async () =>
    fanout ??= await FanoutLoad.open(urls, token, topology, ledger, `fan${runId}`);
  await run("latency", async () => {
    const log = progress("latency");
    log(`${profile.latencyRate} msg/s for ${profile.latencyMs / 1000} s`);
    const load = await fanoutLoad();
    await load.step(profile.latencyRate, LATENCY_WARMUP_MS, profile.graceMs);
    await load.settle(60_000);
    const cpu = await cpuMeter(cpuGroups);
    const step = await load.step(profile.latencyRate, profile.latencyMs, profile.graceMs);
    results.latency = { ...step, cpu: await cpu.stop() };
    log(stepLine(step));
    if (!await load.settle(60_000)) throw new Error("backlog did not drain within 60 s");
  });
  await run("fan-out", async () => {
    const log = progress("fan-out");
    log(
      `${topology.publishers} publishers, ${topology.channels} channels × ` +
        `${topology.subscribersPerChannel} subscribers, ${profile.stepMs / 1000} s steps`,
    );
    results.fanout = await ramp(await fanoutLoad(), cpuGroups, log);
  });

  fanout?.close();

  await run("fan-out single-node", async () => {
    const log = progress("fan-out single-node");
    log("the same ramp against `deno task start`'s one process (in-process broker)");
    const node = await startSingleNode({ env: loadEnv, denoArgs: denoArgs("standalone/main.ts") });
    // Its own ledger, checked against its own database.
    const nodeLedger = new Ledger();
    let load: FanoutLoad | undefined;
    try {
      const { token } = await registerAndLogin(node.authUrl);
      load = await FanoutLoad.open(
        { producerWs: wsUrl(node.producerUrl), consumerWs: wsUrl(node.consumerUrl) },
        token,
        topology,
        nodeLedger,
        `one${runId}`,
      );
      results.singleNode = await ramp(load, {
        bench: cpuGroups.bench,
        node: { pids: [node.node.child.pid] },
        postgres: cpuGroups.postgres,
      }, log);
      const verdict = nodeLedger.verify(await channelFacts(node.databaseUrl));
      results.correctness.violations += verdict.count;
      results.correctness.examples.push(...verdict.examples);
      results.correctness.publishErrors += nodeLedger.publishErrors;
      if (verdict.count > 0) throw new Error(`${verdict.count} correctness violations`);
      log(`correctness ok: ${nodeLedger.ackedCount()} acked messages`);
    } finally {
      load?.close();
      await node.stop();
    }
  });

  await run("cluster", async () => {
    const log = progress("cluster");
    log(`${profile.clusterRate} msg/s, fan-out 10, on 1, 2 and 3 consumer instances`);
    results.cluster = await clusterScenario({
      consumers: sys.consumers,
      startConsumer: () => sys.startConsumer(),
      producerWs: urls.producerWs,
      token,
      partitions: Number(sys.env.PERSIST_PARTITIONS ?? 16),
      ledger,
      prefix: `clu${runId}`,
      rate: profile.clusterRate,
      stepMs: profile.stepMs,
      graceMs: profile.graceMs,
      bodyBytes: topology.bodyBytes,
      others: {
        producer: cpuGroups.producer,
        nats: cpuGroups.nats,
        postgres: cpuGroups.postgres,
      },
      progress: log,
    });
  });

  await run("connections", async () => {
    const log = progress("connections");
    // Where the open-file limit cannot be raised far enough, as many as it allows (and say why).
    const sockets = Math.min(profile.sockets, fileLimit - FD_HEADROOM);
    const limitedBy = sockets < profile.sockets ? `open-file limit ${fileLimit}` : undefined;
    if (limitedBy) log(`${profile.sockets} sockets do not fit the ${limitedBy}`);
    log(`opening ${sockets} idle subscriber sockets on a consumer of their own`);
    const consumer = await sys.startConsumer();
    try {
      const c = await connectionsScenario({
        consumer,
        producerWs: urls.producerWs,
        token,
        sockets,
        broadcasts: profile.broadcasts,
        ledger,
        channel: `bcast${runId}`,
        progress: log,
      });
      results.connections = { ...c, requested: profile.sockets, limitedBy };
      log(
        `RSS ${c.rssMiB} MiB settled (idle ${c.rssIdleMiB} MiB, ${c.perSocketKiB} KiB/socket; ` +
          `${c.rssAtOpenMiB} MiB, ${c.perSocketAtOpenKiB} KiB/socket right after opening), ` +
          `broadcast p99 ${c.delivery.p99} ms, ${c.deliveries} deliveries`,
      );
      if (!c.complete) throw new Error("a broadcast did not reach every socket within 30 s");
    } finally {
      await consumer.stop();
    }
  });

  for (const name of Object.keys(PEERS)) {
    await run(`peers: ${name}`, async () => {
      const log = progress(`peer ${name}`);
      const peer = await peerScenario({
        name,
        topology,
        rates: profile.fanoutRates,
        stepMs: profile.stepMs,
        graceMs: profile.graceMs,
        latency: { rate: profile.latencyRate, warmupMs: LATENCY_WARMUP_MS, ms: profile.latencyMs },
        progress: log,
        stepLine,
      });
      (results.peers ??= []).push(peer);
      log(`highest sustained ${peer.bestRate} msg/s, ${peer.violations} violations`);
      if (peer.violations) throw new Error(`${name}: ${peer.examples.join("; ")}`);
    });
  }

  await run("correctness", async () => {
    const verdict = ledger.verify(await channelFacts(sys.databaseUrl));
    // Added to what the single node's own ledger found.
    results.correctness.violations += verdict.count;
    results.correctness.examples.push(...verdict.examples);
    results.correctness.publishErrors += ledger.publishErrors;
    progress("correctness")(
      verdict.count === 0
        ? `ok: ${ledger.ackedCount()} acked messages, each stored once with gap-free seqs and ` +
          `delivered once in order to every subscriber`
        : `${verdict.count} VIOLATIONS: ${verdict.examples.join("; ")}`,
    );
    if (verdict.count > 0) throw new Error(`${verdict.count} correctness violations`);
  });
} finally {
  await sys.stop();
}

results.durationSeconds = Math.round((performance.now() - began) / 1000);
results.machine.loadAverage = Deno.loadavg();
results.targets = targetChecks(results);
results.ok = results.failures.length === 0;
console.log("\n" + renderTable(results));
const outDir = new URL(recordsResults ? "./" : "./out/", import.meta.url);
await Deno.mkdir(outDir, { recursive: true });
const jsonFile = new URL(
  recordsResults ? "RESULTS.json" : `${profile.name}${only ? "-partial" : ""}.json`,
  outDir,
);
await Deno.writeTextFile(jsonFile, JSON.stringify(results, null, 2) + "\n");
console.log(`figures: ${jsonFile.pathname}`);
if (recordsResults) await writeResultsMarkdown(results);
console.log(results.ok ? "bench: ok" : `bench: FAILED (${results.failures.join("; ")})`);
Deno.exit(results.ok ? 0 : 1);

async function writeResultsMarkdown(r: BenchResults): Promise<void> {
  const md = new URL("RESULTS.md", import.meta.url);
  const notes = await Deno.readTextFile(new URL("NOTES.md", import.meta.url)).catch(() => "");
  await Deno.writeTextFile(md, renderResultsMarkdown(r, notes));
  await formatted(md.pathname, new URL("RESULTS.json", import.meta.url).pathname);
  console.log(`results: ${md.pathname}`);
}

/** The committed outputs stay as `deno fmt` wants them, so `deno task check` passes. */
async function formatted(...paths: string[]): Promise<void> {
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", ...paths] }).output();
}

/** The profile's rates, one step at a time, until one is not sustained. */
async function ramp(
  load: FanoutLoad,
  groups: CpuGroups,
  log: (line: string) => void,
): Promise<Ramp> {
  const figures: Ramp = { steps: [], bestRate: 0, bestDeliveryRate: 0 };
  for (const rate of profile.fanoutRates) {
    const cpu = await cpuMeter(groups);
    const step = await load.step(rate, profile.stepMs, profile.graceMs);
    figures.steps.push({ ...step, cpu: await cpu.stop() });
    log(stepLine(step));
    if (step.sustained) {
      figures.bestRate = step.sentRate;
      figures.bestDeliveryRate = step.deliveryRate;
    }
    if (!await load.settle(60_000)) throw new Error("backlog did not drain within 60 s");
    if (!step.sustained) break;
  }
  return figures;
}

function stepLine(s: StepResult): string {
  return `${s.targetRate} msg/s → sent ${s.sentRate}/s, ${s.deliveryRate} deliveries/s, ` +
    `ack p99 ${s.ack.p99} ms, delivery p50 ${s.delivery.p50} p99 ${s.delivery.p99} ms, ` +
    (s.sustained ? "sustained" : `fell behind (${s.limitedBy})`);
}

/** Per-channel row count, seq range and counter, to prove seqs are gap-free in PostgreSQL. */
async function channelFacts(databaseUrl: string): Promise<Map<string, ChannelFacts>> {
  const sql = connectPostgres(databaseUrl, { max: 1 });
  try {
    const rows = await sql<({ id: string } & ChannelFacts)[]>`
      select c.id, c.last_seq as "lastSeq", count(m.seq)::int as rows,
        coalesce(min(m.seq), 0) as "minSeq", coalesce(max(m.seq), 0) as "maxSeq"
      from channels c left join messages m on m.channel_id = c.id
      group by c.id, c.last_seq`;
    return new Map(rows.map((r) => [r.id, r]));
  } finally {
    await sql.end();
  }
}

/**
 * Many sockets need many file descriptors: raise this process's limits (children inherit them) to
 * what the run needs — past the hard limit too when allowed (root) — and say so when they stay
 * below it.
 */
async function raiseFileLimit(needed: number): Promise<number> {
  const limits = async () => {
    const text = await Deno.readTextFile("/proc/self/limits").catch(() => "");
    const [, soft, hard] = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(text) ?? [];
    const num = (x: string | undefined) => (x === "unlimited" ? Infinity : Number(x ?? NaN));
    return { soft: num(soft), hard: num(hard) };
  };
  const before = await limits();
  if (!(before.soft < needed)) return before.soft;
  const target = Math.max(needed, before.hard);
  await new Deno.Command("prlimit", {
    args: ["--pid", String(Deno.pid), `--nofile=${target}:${target}`],
    stderr: "null",
  }).output().catch(() => undefined);
  if ((await limits()).soft >= needed) return needed;
  const hard = (await limits()).hard;
  if (hard > before.soft) {
    await new Deno.Command("prlimit", {
      args: ["--pid", String(Deno.pid), `--nofile=${hard}:${hard}`],
    })
      .output().catch(() => undefined);
  }
  console.error(
    `open-file limit is ${hard}: below the ${needed} the ${profile.sockets} sockets of one process ` +
      `need (raise it with ulimit -n, or run as a user that may)`,
  );
  return (await limits()).soft;
}
