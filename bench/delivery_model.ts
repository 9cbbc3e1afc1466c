/**
 * `deno run -A bench/delivery_model.ts [--rate=N] [--seconds=S] [--protocol=rtm.v1]
 * [--broadcast=N]`: the consumer's socket-writing path alone, for A/B runs on a busy machine.
 *
 * A child process runs the real SocketServer (shared/http) with a stub token verifier and, once
 * told to start, fans messages out the way SubscriptionHub does (one SharedFrame per message,
 * `send` to every socket of its channel), `rate` messages/s in ticks of 10 ms (a tick's messages
 * together, like a stored batch), to 20 channels × 10 sockets. This process holds the sockets and
 * counts. Printed: the server's CPU per delivered frame (from /proc, so other tenants' load counts
 * less than in latency figures), deliveries/s and publish→delivery latency. With --broadcast=N:
 * N sockets on one channel, one message at a time, p99 of the broadcast.
 */
import type { MessageFrame, ServerFrame } from "../shared/protocol/frames.ts";
import { messageFrame, SharedFrame } from "../shared/protocol/frames.ts";
import { freePort } from "../shared/net.ts";
import { stubSocketServer } from "./stub_socket_server.ts";
import { cpuSeconds } from "./cpu.ts";
import { LatencyHistogram } from "./histogram.ts";
import { inBatches } from "./load.ts";

const CHANNELS = 20;
const PER_CHANNEL = 10;
const TICK_MS = 10;

const arg = (name: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
/** Wall clock in ms with sub-ms resolution, comparable across processes on one machine. */
const now = () => performance.timeOrigin + performance.now();

if (Deno.args.includes("--serve")) serve(Number(Deno.env.get("PORT")));
else await drive();

function serve(port: number): void {
  const server = stubSocketServer("model");
  const byChannel: { send(f: SharedFrame): boolean }[][] = [];
  const handlers = {
    onText(session: { send(f: SharedFrame): boolean }, data: string) {
      const channel = Number(JSON.parse(data).channel);
      (byChannel[channel] ??= []).push(session);
    },
  };
  let seq = 0;
  const emit = (channel: number) => {
    const frame = new SharedFrame(messageFrame({
      channel: String(channel),
      seq: ++seq,
      id: crypto.randomUUID(),
      clientMsgId: `m-${seq}`,
      sender: "bench",
      body: now().toFixed(3) + " " + "x".repeat(110),
      sentAt: new Date().toISOString(),
    }));
    for (const s of byChannel[channel] ?? []) s.send(frame);
  };
  Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname !== "/start") return server.upgrade(req, handlers);
    const rate = Number(url.searchParams.get("rate"));
    const seconds = Number(url.searchParams.get("seconds"));
    const perTick = rate * TICK_MS / 1000;
    let due = 0;
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) {
      for (due += perTick; due >= 1; due--) emit(n++ % byChannel.length);
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    return Response.json({ sent: n });
  });
}

async function drive(): Promise<void> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--serve"],
    env: { PORT: String(port) },
    stdout: "inherit",
  }).spawn();
  const protocols = [arg("protocol") ?? "rtm.v2"];
  const broadcast = Number(arg("broadcast") ?? 0);
  const sockets = broadcast || CHANNELS * PER_CHANNEL;
  const latency = new LatencyHistogram();
  let deliveries = 0;
  let frames = 0;
  const onFrame = (f: ServerFrame) => {
    if (f.type !== "message") return;
    deliveries++;
    latency.recordMs(now() - parseFloat((f as MessageFrame).body));
  };
  await waitForPort(port);
  await inBatches(sockets, 64, async (i) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
      headers: { authorization: "Bearer x" },
      protocols,
    });
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    ws.onmessage = (e) => {
      frames++;
      const data = e.data as string;
      if (ws.protocol !== "rtm.v2") return onFrame(JSON.parse(data));
      for (const line of data.split("\n")) onFrame(JSON.parse(line));
    };
    ws.send(JSON.stringify({ channel: broadcast ? 0 : i % CHANNELS }));
  });
  await new Promise((r) => setTimeout(r, 500));
  // A broadcast every 200 ms: each one is delivered before the next.
  const rate = broadcast ? 5 : Number(arg("rate") ?? 4_000);
  const seconds = Number(arg("seconds") ?? 5);
  const cpuBefore = await cpuSeconds(child.pid);
  const t0 = performance.now();
  const { sent } =
    await (await fetch(`http://127.0.0.1:${port}/start?rate=${rate}&seconds=${seconds}`))
      .json();
  const want = sent * (broadcast || PER_CHANNEL);
  const deadline = performance.now() + 10_000;
  while (deliveries < want && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = await cpuSeconds(child.pid) - cpuBefore;
  const l = latency.summary();
  console.log(
    `${protocols[0]} ${
      broadcast ? `broadcast to ${broadcast}` : `${rate} msg/s × ${PER_CHANNEL}`
    }: ` +
      `${deliveries}/${want} delivered in ${frames} WebSocket frames, ` +
      `${Math.round(deliveries / elapsed)} deliveries/s, server CPU ` +
      `${(cpu * 1e6 / Math.max(1, deliveries)).toFixed(2)} µs/delivery ` +
      `(${Math.round(cpu / elapsed * 100)} % of a core), latency p50 ${l.p50} p99 ${l.p99} ms`,
  );
  child.kill();
  await child.status;
  Deno.exit(0);
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error("model server did not start");
}
