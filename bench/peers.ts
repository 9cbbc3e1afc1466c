import { freePort } from "../shared/net.ts";
import { FanoutLoad, type StepResult, type Topology } from "./fanout.ts";
import { type ChannelFacts, Ledger } from "./ledger.ts";
import { type Connect, openSocket } from "./load.ts";
import { openSocketIo } from "./peers/socketio_client.ts";

/**
 * Non-durable peers a TypeScript team would pick instead, run by the bench on loopback with the
 * same open-loop workload (topology, rates, load generator, correctness ledger) as this project.
 */
export const PEERS: Record<string, { entry: string; url(port: number): string; connect: Connect }> =
  {
    "ws relay": {
      entry: "peers/ws_relay.mjs",
      url: (port) => `ws://127.0.0.1:${port}/`,
      connect: openSocket,
    },
    "Socket.IO 4.8": {
      entry: "peers/socketio_server.mjs",
      url: (port) => `http://127.0.0.1:${port}`,
      connect: (url) => openSocketIo(url),
    },
  };

/**
 * The peers run on Node when it is installed (as a team picking them would deploy them; their
 * packages come from the node_modules Deno fills from deno.json), otherwise on Deno.
 */
const node = await whichNode();

async function whichNode(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("node", { args: ["--version"] }).output();
    return out.success ? "node" : undefined;
  } catch {
    return undefined;
  }
}

export interface PeerResult {
  name: string;
  runtime: "Node" | "Deno";
  latency: StepResult;
  steps: StepResult[];
  bestRate: number;
  violations: number;
  examples: string[];
}

/** The latency step and the fan-out ramp against one peer, in a process of its own. */
export async function peerScenario(opts: {
  name: string;
  topology: Topology;
  rates: number[];
  stepMs: number;
  graceMs: number;
  latency: { rate: number; warmupMs: number; ms: number };
  progress: (line: string) => void;
  stepLine: (s: StepResult) => string;
}): Promise<PeerResult> {
  const peer = PEERS[opts.name];
  const port = freePort();
  const entry = new URL(peer.entry, import.meta.url).pathname;
  const child = new Deno.Command(node ?? Deno.execPath(), {
    args: node ? [entry] : ["run", "-A", entry],
    env: { PORT: String(port) },
    stdout: "null",
  }).spawn();
  opts.progress(`on ${node ? "Node" : "Deno"}`);
  try {
    const facts = await waitForFacts(port);
    if (!facts) throw new Error(`${opts.name} did not start`);
    const ledger = new Ledger();
    const url = peer.url(port);
    const load = await FanoutLoad.open(
      { producerWs: url, consumerWs: url },
      "no-auth",
      opts.topology,
      ledger,
      `peer${port}`,
      peer.connect,
    );
    try {
      await load.step(opts.latency.rate, opts.latency.warmupMs, opts.graceMs);
      await load.settle(60_000);
      const latency = await load.step(opts.latency.rate, opts.latency.ms, opts.graceMs);
      opts.progress(`latency: ${opts.stepLine(latency)}`);
      const steps: StepResult[] = [];
      let bestRate = 0;
      for (const rate of opts.rates) {
        const step = await load.step(rate, opts.stepMs, opts.graceMs);
        steps.push(step);
        opts.progress(opts.stepLine(step));
        if (step.sustained) bestRate = step.sentRate;
        if (!await load.settle(60_000) || !step.sustained) break;
      }
      const verdict = ledger.verify(await waitForFacts(port) ?? new Map());
      return {
        name: opts.name,
        runtime: node ? "Node" : "Deno",
        latency,
        steps,
        bestRate,
        violations: verdict.count,
        examples: verdict.examples,
      };
    } finally {
      load.close();
    }
  } finally {
    child.kill();
    await child.status;
  }
}

/** The peer's per-channel last seq as the ledger's facts (it stores nothing: rows = seq). */
async function waitForFacts(port: number): Promise<Map<string, ChannelFacts> | undefined> {
  for (let i = 0; i < 300; i++) {
    try {
      const seqs: Record<string, number> = await (await fetch(`http://127.0.0.1:${port}/facts`))
        .json();
      return new Map(
        Object.entries(seqs).map((
          [channel, seq],
        ) => [channel, { rows: seq, minSeq: seq ? 1 : 0, maxSeq: seq, lastSeq: seq }]),
      );
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return undefined;
}
