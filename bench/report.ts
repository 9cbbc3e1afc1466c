import { clusterLine } from "./cluster.ts";
import type { ConnectionsResult } from "./connections.ts";
import type { LatencySummary } from "./histogram.ts";
import type { BenchResults, MeasuredStep, Ramp, TargetCheck } from "./results.ts";
import { TARGETS } from "./profiles.ts";

/** Ours as a fraction of a ceiling, or null when either side is missing. */
export function ratio(ours: number | undefined, ceiling: number | undefined): number | null {
  if (!ours || !ceiling) return null;
  return Math.round((ours / ceiling) * 1000) / 1000;
}

export function targetChecks(r: BenchResults): TargetCheck[] {
  const check = (name: string, value: number | undefined | null, target: string, ok: boolean) => ({
    name,
    value: value ?? null,
    target,
    met: value !== undefined && value !== null && ok,
  });
  const best = r.fanout?.bestRate;
  const bestSingle = r.singleNode?.bestRate;
  const durable = ratio(r.durable?.persistedPerSec, r.ceilings.durable?.persistedPerSec);
  const sockets = r.connections?.sockets ?? r.profile.sockets;
  const broadcastBudget = Math.round(TARGETS.broadcastP99MsPer10k * sockets / 10_000);
  // The profile's RSS budget is for its socket count; where the open-file limit allowed fewer,
  // the RSS is projected there from what was measured: the idle consumer, plus each socket's share.
  const socketsBudget = TARGETS.socketsRssMiB[r.profile.name];
  const c = r.connections;
  const projected = c && sockets < r.profile.sockets;
  const rssMiB = c &&
    (projected ? Math.round(c.rssIdleMiB + c.perSocketKiB * r.profile.sockets / 1024) : c.rssMiB);
  return [
    check(
      "fan-out 10, single node: persisted+delivered msg/s",
      bestSingle,
      `≥ ${TARGETS.fanoutMsgPerSec.singleNode}`,
      (bestSingle ?? 0) >= TARGETS.fanoutMsgPerSec.singleNode,
    ),
    check(
      "fan-out 10, distributed: persisted+delivered msg/s",
      best,
      `≥ ${TARGETS.fanoutMsgPerSec.distributed}`,
      (best ?? 0) >= TARGETS.fanoutMsgPerSec.distributed,
    ),
    check(
      "1,000 msg/s: p99 publish→delivery ms",
      r.latency?.delivery.p99,
      `≤ ${TARGETS.latencyP99DeliveryMs}`,
      (r.latency?.delivery.p99 ?? Infinity) <= TARGETS.latencyP99DeliveryMs,
    ),
    check(
      "1,000 msg/s: p99 publish→ack ms",
      r.latency?.ack.p99,
      `≤ ${TARGETS.latencyP99AckMs}`,
      (r.latency?.ack.p99 ?? Infinity) <= TARGETS.latencyP99AckMs,
    ),
    check(
      `broadcast to ${sockets} sockets: p99 ms`,
      r.connections?.delivery.p99,
      `≤ ${broadcastBudget}`,
      (r.connections?.delivery.p99 ?? Infinity) <= broadcastBudget,
    ),
    check(
      `${r.profile.sockets} sockets: consumer RSS MiB` +
        (projected ? ` (projected from ${sockets})` : ""),
      rssMiB,
      `≤ ${socketsBudget}`,
      (rssMiB ?? Infinity) <= socketsBudget,
    ),
    check(
      "durable path ÷ JetStream→PostgreSQL ceiling",
      durable,
      `≥ ${TARGETS.durableRatio}`,
      (durable ?? 0) >= TARGETS.durableRatio,
    ),
    check(
      "correctness violations",
      r.correctness.violations,
      "0",
      r.correctness.violations === 0 && r.failures.length === 0,
    ),
  ];
}

const lat = (s?: LatencySummary) =>
  s ? `p50 ${s.p50} · p90 ${s.p90} · p99 ${s.p99} · max ${s.max} ms (n=${s.count})` : "—";

/** The terminal summary: every step, the ceilings, the ratios, and each target met or missed. */
export function renderTable(r: BenchResults): string {
  const rows: string[][] = [["scenario", "figure", "value"]];
  for (const s of r.fanout?.steps ?? []) {
    rows.push([
      `fan-out ${s.targetRate}/s`,
      s.sustained ? "sustained" : "fell behind",
      stepText(s),
    ]);
  }
  for (const s of r.singleNode?.steps ?? []) {
    rows.push([
      `single node ${s.targetRate}/s`,
      s.sustained ? "sustained" : "fell behind",
      stepText(s),
    ]);
  }
  if (r.latency) {
    rows.push(["latency 1,000/s", "publish→ack", lat(r.latency.ack)]);
    rows.push(["latency 1,000/s", "publish→delivery", lat(r.latency.delivery)]);
  }
  const c = r.connections;
  if (c) {
    rows.push([
      `${c.sockets} sockets`,
      "consumer RSS",
      socketsRss(c),
    ]);
    rows.push([`${c.sockets} sockets`, "broadcast delivery", lat(c.delivery)]);
  }
  for (const step of r.cluster ?? []) {
    rows.push([`cluster ×${step.instances}`, "per instance", clusterLine(step)]);
  }
  const core = r.ceilings.core;
  const durable = r.ceilings.durable;
  if (core) {
    rows.push([
      "ceiling",
      "NATS core pub/sub",
      `${core.msgPerSec} msg/s, ${core.deliveriesPerSec} deliveries/s (fan-out ${core.subscribers})`,
    ]);
  }
  if (durable) {
    rows.push([
      "ceiling",
      "JetStream→PostgreSQL",
      `publish ${durable.publishPerSec} msg/s, persisted ${durable.persistedPerSec} msg/s`,
    ]);
  }
  if (r.durable) {
    rows.push([
      "durable path",
      "producer→JetStream→consumer→PostgreSQL",
      `acked ${r.durable.ackedPerSec} msg/s, persisted ${r.durable.persistedPerSec} msg/s`,
    ]);
  }
  rows.push([
    "ratio",
    "fan-out ÷ NATS core (deliveries/s)",
    fmt(ratio(r.fanout?.bestDeliveryRate, core?.deliveriesPerSec)),
  ]);
  rows.push([
    "ratio",
    "durable path ÷ JetStream→PostgreSQL",
    fmt(ratio(r.durable?.persistedPerSec, durable?.persistedPerSec)),
  ]);
  for (const p of r.peers ?? []) {
    rows.push([`peer ${p.name}`, "highest sustained fan-out", `${p.bestRate} msg/s`]);
    rows.push([`peer ${p.name}`, "latency 1,000/s: publish→delivery", lat(p.latency.delivery)]);
    rows.push([
      "ratio",
      `ours ÷ ${p.name}: sustained msg/s · p99 delivery at 1,000/s`,
      `${fmt(ratio(r.fanout?.bestRate, p.bestRate))} · ` +
      fmt(ratio(r.latency?.delivery.p99, p.latency.delivery.p99)),
    ]);
  }
  for (const t of r.targets) {
    rows.push(["target", t.name, `${t.value ?? "—"} (${t.target}) ${t.met ? "met" : "MISSED"}`]);
  }
  const widths = [0, 1].map((i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell)).join("  "))
    .join("\n");
}

function stepText(s: MeasuredStep): string {
  const cpu = Object.entries(s.cpu).map(([k, v]) => `${k} ${v}%`).join(" ");
  return `sent ${s.sentRate}/s, ${s.deliveryRate} deliveries/s, ack p99 ${s.ack.p99} ms, ` +
    `delivery p99 ${s.delivery.p99} ms; cpu ${cpu}` + (s.limitedBy ? `; ${s.limitedBy}` : "");
}

/** One ramp's steps and its highest sustained rate, under `title`. */
function rampSection(title: string, ramp: Ramp | undefined): string[] {
  return [
    title,
    "",
    ...stepsTable(ramp?.steps),
    "",
    `Highest sustained: **${ramp?.bestRate ?? "—"} msg/s** persisted and delivered ` +
    `(${ramp?.bestDeliveryRate ?? "—"} deliveries/s).`,
    "",
  ];
}

function stepsTable(steps: MeasuredStep[] | undefined): string[] {
  if (!steps?.length) return ["- not measured"];
  return [
    "| rate | sent/s | deliveries/s | ack p50/p99 ms | delivery p50/p90/p99/max ms | CPU % | result |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...steps.map((s) =>
      `| ${s.targetRate} | ${s.sentRate} | ${s.deliveryRate} | ${s.ack.p50} / ${s.ack.p99} | ` +
      `${s.delivery.p50} / ${s.delivery.p90} / ${s.delivery.p99} / ${s.delivery.max} | ` +
      `${Object.entries(s.cpu).map(([k, v]) => `${k} ${v}`).join(", ")} | ` +
      `${s.sustained ? "sustained" : s.limitedBy} |`
    ),
  ];
}

function fmt(x: number | null): string {
  return x === null ? "—" : `${x}`;
}

/** bench/RESULTS.md: the latest full run, generated; `notes` (bench/NOTES.md) is appended. */
export function renderResultsMarkdown(r: BenchResults, notes: string): string {
  const m = r.machine;
  const core = r.ceilings.core;
  const durable = r.ceilings.durable;
  const lines = [
    "# Benchmark results",
    "",
    "Generated by `deno task bench` (full profile); every figure is also in " +
    "[RESULTS.json](RESULTS.json). Hand-written analysis follows the figures.",
    "",
    `- Date: ${m.date} · run took ${r.durationSeconds} s · outcome: ${r.ok ? "ok" : "FAILED"}`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}`,
    `- Versions: Deno ${m.deno} (V8 ${m.v8}), nats-server ${m.nats}, PostgreSQL ${m.postgres}`,
    `- Load average at end (1/5/15 min): ${m.loadAverage.map((x) => x.toFixed(2)).join(" / ")}`,
    `- Topology: ${r.profile.topology.publishers} publisher sockets, ` +
    `${r.profile.topology.channels} channels × ${r.profile.topology.subscribersPerChannel} ` +
    `subscriber sockets, ${r.profile.topology.bodyBytes}-byte bodies, one producer, one consumer ` +
    `(PERSIST_BATCH_SIZE ${r.profile.persistBatch}); the load generator is a separate process.`,
    "",
    "## Targets",
    "",
    "| target | measured | required | |",
    "| --- | --- | --- | --- |",
    ...r.targets.map((t) =>
      `| ${t.name} | ${t.value ?? "—"} | ${t.target} | ${t.met ? "met" : "**missed**"} |`
    ),
    "",
    "## 1. Fan-out 10, open-loop steps",
    "",
    "A step sends at a fixed rate for " +
    `${r.profile.stepMs / 1000} s; it is sustained when every ` +
    `message is acked and delivered to all 10 subscribers within ${
      r.profile.graceMs / 1000
    } s of ` +
    "the last send, with no error and p99 delivery under 1 s. CPU is % of one core over the step " +
    "(nats and postgres count every such process on the machine; machine is everything on it, " +
    "at most 100 × cores: the gap to our processes is what other tenants used).",
    "",
    ...rampSection(
      "Distributed mode (auth, producer and consumer processes, NATS JetStream):",
      r.fanout,
    ),
    ...rampSection(
      "Single node (`deno task start`'s one process, in-process broker with its fsync'd journal; " +
        "the shared PostgreSQL instead of an embedded one; CPU `node` is that process):",
      r.singleNode,
    ),
    "## 2. Latency at 1,000 msg/s (fan-out 10)",
    "",
    `- publish→ack: ${lat(r.latency?.ack)}`,
    `- publish→delivery: ${lat(r.latency?.delivery)}`,
    r.latency
      ? `- CPU %: ${Object.entries(r.latency.cpu).map(([k, v]) => `${k} ${v}`).join(", ")}`
      : "",
    "",
    `## 3. ${r.connections?.sockets ?? r.profile.sockets} idle subscriber sockets on one consumer`,
    "",
    r.connections
      ? [
        r.connections.limitedBy
          ? `- ${r.connections.requested} asked for; only ${r.connections.sockets} fit the ` +
            `${r.connections.limitedBy} of this machine (see NOTES.md)`
          : "",
        `- opened and subscribed in ${r.connections.openSeconds} s`,
        `- consumer RSS ${socketsRss(r.connections)}`,
        `- ${r.connections.broadcasts} broadcasts to all, one at a time: ${
          lat(r.connections.delivery)
        }`,
      ].filter(Boolean).join("\n")
      : "- not measured",
    "",
    `## 3b. The same load on 1, 2 and 3 consumer instances`,
    "",
    "Each instance's sockets follow channels of their own (12 channels × 10 subscribers split " +
    "evenly); the partitions split between the instances. Per instance: partitions owned, " +
    "deliveries made, CPU, and CPU per 1,000 deliveries.",
    "",
    ...(r.cluster?.length ? r.cluster.map((s) => `- ${clusterLine(s)}`) : ["- not measured"]),
    "",
    "## 4. Ceilings on the same machine, same run",
    "",
    core
      ? `- NATS core pub/sub, same payload, 1 publisher → ${core.subscribers} subscriber ` +
        `connections, no parsing: ${core.msgPerSec} msg/s (${core.deliveriesPerSec} ` +
        `deliveries/s). Our fan-out reaches ` +
        `${fmt(ratio(r.fanout?.bestDeliveryRate, core.deliveriesPerSec))} of its deliveries/s.`
      : "- NATS core: not measured",
    durable
      ? `- JetStream publish (pipelined, Msg-Id set) + batched INSERT of up to ` +
        `${durable.batchSize} rows into the same messages table, then ack, all in one process: ` +
        `publish ${durable.publishPerSec} msg/s, persisted ${durable.persistedPerSec} msg/s.`
      : "- JetStream→PostgreSQL: not measured",
    r.durable
      ? `- Our durable path, the same count through producer (WebSocket, ${r.durable.window} ` +
        `unacked per socket) → JetStream → consumer → PostgreSQL, no subscribers: acked ` +
        `${r.durable.ackedPerSec} msg/s, persisted ${r.durable.persistedPerSec} msg/s = ` +
        `${fmt(ratio(r.durable.persistedPerSec, durable?.persistedPerSec))} of the ceiling. ` +
        `CPU %: ${Object.entries(r.durable.cpu).map(([k, v]) => `${k} ${v}`).join(", ")}.`
      : "- Our durable path: not measured",
    "",
    "## 5. Peers: the same workload without durability",
    "",
    r.peers?.length
      ? [
        "Started by the bench on loopback (bench/peers/): a bare `ws` relay and a Socket.IO 4.8 " +
        "server (WebSocket transport), each fanning out in memory and acking once it has; same " +
        "topology, rates, load generator and ledger. Ratio = ours ÷ peer.",
        "",
        "| peer | highest sustained msg/s | ratio | p99 delivery at 1,000/s ms | ratio | violations |",
        "| --- | --- | --- | --- | --- | --- |",
        ...r.peers.map((p) =>
          `| ${p.name} | ${p.bestRate} | ${fmt(ratio(r.fanout?.bestRate, p.bestRate))} | ` +
          `${p.latency.delivery.p99} | ${
            fmt(ratio(r.latency?.delivery.p99, p.latency.delivery.p99))
          } | ${p.violations} |`
        ),
      ].join("\n")
      : "- not measured in this run (`deno task bench --only=peers` runs them alone)",
    "",
    "## 6. Correctness",
    "",
    r.correctness.violations === 0 && r.failures.length === 0
      ? "No violation: every acked message stored once with a gap-free seq, delivered once and in " +
        "order to every subscriber of its channel, in every scenario."
      : `**${r.correctness.violations} violations**: ${r.correctness.examples.join("; ")}` +
        (r.failures.length ? `; failures: ${r.failures.join("; ")}` : ""),
    `Publish errors: ${r.correctness.publishErrors}.`,
    "",
  ];
  return lines.join("\n") + (notes ? "\n" + notes.trim() + "\n" : "");
}

/** The consumer's RSS with the sockets (results from before it was read once settled: at open). */
function socketsRss(c: ConnectionsResult): string {
  const rss = `${c.rssMiB} MiB (${c.rssIdleMiB} MiB before the sockets): ${c.perSocketKiB} KiB ` +
    `per socket`;
  if (c.rssAtOpenMiB === undefined) return `${rss}, 2 s after the last one opened`;
  return `${rss} once settled; ${c.rssAtOpenMiB} MiB (${c.perSocketAtOpenKiB} KiB per socket) ` +
    `2 s after the last one opened`;
}
