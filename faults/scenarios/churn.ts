import { wsUrl } from "../../shared/testing/system.ts";
import { sleep } from "../../shared/async/sleep.ts";
import type { FaultOutcome, RunningLoad, SuiteContext } from "../scenario.ts";

const CONCURRENCY = 50;
const SETTLE_TIMEOUT_MS = 15_000;

/** The gauges that count what a socket holds on a server: they must come back down. */
const GAUGES: [service: "producer" | "consumer", metric: string][] = [
  ["producer", "rtm_connections"],
  ["consumer", "rtm_sockets"],
  ["consumer", "rtm_subscriptions"],
];

async function gauge(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const match = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m"));
  if (!match) throw new Error(`${baseUrl}/metrics has no ${name}`);
  return Number(match[1]);
}

async function readGauges(ctx: SuiteContext): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [service, name] of GAUGES) {
    const urls = service === "producer" ? [ctx.topology.producerUrl] : ctx.topology.consumerUrls;
    for (const url of urls) out.set(`${name}@${url}`, await gauge(url, name));
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
    ? ctx.topology.producerUrl
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
 * the servers' socket and subscription gauges must come back to where they were.
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
  const leaks = () => [...before].filter(([k, v]) => after.get(k) !== v);
  while (leaks().length && Date.now() < deadline) {
    await sleep(250);
    after = await readGauges(ctx);
  }
  const violations = leaks().map(([k, v]) =>
    `${k} was ${v} before the churn, ${after.get(k)} after`
  );
  if (failures.length) violations.push(`${failures.length} churn sockets failed: ${failures[0]}`);
  return {
    notes: [
      `${ctx.profile.churnSockets} sockets churned; gauges before/after: ${
        [...after].map(([k, v]) => `${k.split("@")[0]} ${before.get(k)}/${v}`).join(", ")
      }`,
    ],
    violations,
  };
}
