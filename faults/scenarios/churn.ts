import { wsUrl } from "../../shared/testing/system.ts";
import { sleep } from "../../shared/async/sleep.ts";
import type { FaultOutcome, RunningLoad, SuiteContext } from "../scenario.ts";

const CONCURRENCY = 50;
const SETTLE_TIMEOUT_MS = 15_000;

interface Gauge {
  service: "producer" | "consumer";
  name: string;
  /** A series of the service's `/metrics`, with its labels but without the `service` one. */
  series: string;
  /** How far above its value before the churn it may stay (gauges that move with the load). */
  slack: number;
}

/** prom-client's default metrics count pending timers with `process.getActiveResourcesInfo()`. */
const TIMERS = 'nodejs_active_resources{type="Timeout"}';
/**
 * Timers that may stay after the churn without a leak: each pooled PostgreSQL connection holds
 * two (postgres.js's idle and lifetime timers) and the churn's queries grow a pool to its max
 * (10 in the producer, 20 in a consumer: `connectPostgres` in their cmd/main.ts); a few more move
 * with the load's requests in flight. A timer left per socket is hundreds over.
 */
const TIMER_SLACK = { producer: 2 * 10 + 5, consumer: 2 * 20 + 5 };

/**
 * What a socket holds on a server, which must come back down after the churn: the sockets and
 * subscriptions the services count, and the process's pending timers (each socket arms some).
 */
const GAUGES: Gauge[] = [
  { service: "producer", name: "rtm_connections", series: "rtm_connections", slack: 0 },
  { service: "producer", name: "timers", series: TIMERS, slack: TIMER_SLACK.producer },
  { service: "consumer", name: "rtm_sockets", series: "rtm_sockets", slack: 0 },
  { service: "consumer", name: "rtm_subscriptions", series: "rtm_subscriptions", slack: 0 },
  { service: "consumer", name: "timers", series: TIMERS, slack: TIMER_SLACK.consumer },
];

/** A series' value in a Prometheus text page; a labelled series that is absent counts as 0. */
function valueOf(page: string, series: string): number | undefined {
  const [name, labels = ""] = series.replace(/}$/, "").split("{");
  for (const line of page.split("\n")) {
    const match = line.match(/^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/);
    if (!match || match[1] !== name) continue;
    if (labels && !match[2]?.split(",").includes(labels)) continue;
    return Number(match[3]);
  }
  return labels ? 0 : undefined;
}

/** Each gauge's value on each instance, keyed `name@url`, with the gauge's slack. */
async function readGauges(
  ctx: SuiteContext,
): Promise<Map<string, { value: number; slack: number }>> {
  const out = new Map<string, { value: number; slack: number }>();
  const urls = { producer: ctx.topology.producerUrls, consumer: ctx.topology.consumerUrls };
  for (const service of ["producer", "consumer"] as const) {
    for (const url of urls[service]) {
      const page = await (await fetch(`${url}/metrics`)).text();
      for (const g of GAUGES.filter((g) => g.service === service)) {
        const value = valueOf(page, g.series);
        if (value === undefined) throw new Error(`${url}/metrics has no ${g.series}`);
        out.set(`${g.name}@${url}`, { value, slack: g.slack });
      }
    }
  }
  return out;
}

/** Opens a socket, does one thing on it, and drops it, sometimes before the reply comes. */
async function churnOne(
  ctx: SuiteContext,
  running: RunningLoad,
  i: number,
): Promise<void> {
  const toProducer = i % 3 === 0;
  const base = toProducer
    ? ctx.topology.producerUrls[0]
    : ctx.topology.consumerUrls[i % ctx.topology.consumerUrls.length];
  const socket = new WebSocket(wsUrl(base), {
    headers: { authorization: `Bearer ${ctx.users[i % ctx.users.length].accessToken}` },
  });
  const opened = await new Promise<boolean>((resolve) => {
    socket.onopen = () => resolve(true);
    socket.onerror = () => resolve(false);
  });
  if (!opened) throw new Error(`churn socket ${i} refused by ${base}`);
  const closed = new Promise((resolve) => socket.onclose = resolve);
  const channel = running.channels[i % running.channels.length];
  if (toProducer) {
    // A publish whose socket may be gone before the ack: stored or not, never twice.
    const clientMsgId = crypto.randomUUID();
    running.load.ledger.sent.set(clientMsgId, channel);
    socket.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.type === "ack") running.load.ledger.acked.set(clientMsgId, channel);
    };
    socket.send(JSON.stringify({ id: 1, type: "publish", channel, clientMsgId, body: "churn" }));
  } else {
    socket.send(JSON.stringify({ id: 1, type: "subscribe", channel, since: 0 }));
  }
  await sleep(Math.random() * (i % 2 ? 200 : 5));
  socket.close();
  await closed;
}

/**
 * 5. Churn: sockets connect, subscribe or publish, and disconnect while the load flows; then
 * the servers' socket, subscription and timer gauges must come back to where they were.
 */
export async function churn(ctx: SuiteContext, running: RunningLoad): Promise<FaultOutcome> {
  const before = await readGauges(ctx);
  let next = 0;
  const failures: string[] = [];
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < ctx.profile.churnSockets) {
      await churnOne(ctx, running, next++).catch((err) => failures.push(err.message));
    }
  }));
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let after = await readGauges(ctx);
  const leaks = () => [...before].filter(([k, b]) => after.get(k)!.value > b.value + b.slack);
  while (leaks().length && Date.now() < deadline) {
    await sleep(250);
    after = await readGauges(ctx);
  }
  const violations = leaks().map(([k, v]) =>
    `${k} was ${v.value} before the churn, ${after.get(k)!.value} after`
  );
  if (failures.length) violations.push(`${failures.length} churn sockets failed: ${failures[0]}`);
  return {
    notes: [
      `${ctx.profile.churnSockets} sockets churned; gauges before/after: ${
        [...after].map(([k, a]) => `${k.split("@")[0]} ${before.get(k)!.value}/${a.value}`)
          .join(", ")
      }`,
    ],
    violations,
  };
}
