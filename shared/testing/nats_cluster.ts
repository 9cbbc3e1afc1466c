import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { freePort } from "../net.ts";
import { type NatsServerProcess, startNatsServer } from "./nats_server.ts";

export interface NatsCluster {
  nodes: (NatsServerProcess & { name: string })[];
  /** Every node's client URL, comma-separated, as NATS_URL takes them. */
  url: string;
  /** The node leading `stream` now (JetStream elects it). */
  leaderOf(stream: string): Promise<NatsServerProcess & { name: string }>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * `size` nats-servers (Debian's binary) on free loopback ports, routed to each other as one
 * JetStream cluster, each with its own store directory under one temp dir; resolves once
 * JetStream answers (a meta leader is elected). Nodes can be killed and restarted one by one.
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const dir = await Deno.makeTempDir({ prefix: "rtm-nats-cluster-" });
  const routePorts = Array.from({ length: size }, () => freePort());
  const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`).join(",");
  const nodes = await Promise.all(routePorts.map(async (routePort, i) => {
    const name = `n${i + 1}`;
    const server = await startNatsServer({
      storeDir: `${dir}/${name}`,
      args: [
        "-n",
        name,
        "--cluster_name",
        "rtm-test",
        "--cluster",
        `nats://127.0.0.1:${routePort}`,
        "--routes",
        routes,
      ],
    });
    return { ...server, name };
  }));
  const url = nodes.map((n) => n.url).join(",");
  const cluster: NatsCluster = {
    nodes,
    url,
    leaderOf: async (stream) => {
      const nc = await connect({ servers: nodes.map((n) => n.url) });
      try {
        const info = await (await jetstreamManager(nc)).streams.info(stream);
        const node = nodes.find((n) => n.name === info.cluster?.leader);
        if (!node) {
          throw new Error(`stream ${stream} has no leader among ${nodes.map((n) => n.name)}`);
        }
        return node;
      } finally {
        await nc.close();
      }
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  try {
    await untilJetStreamAnswers(nodes.map((n) => n.url));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

async function untilJetStreamAnswers(servers: string[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const nc = await connect({ servers });
  try {
    while (true) {
      try {
        await (await jetstreamManager(nc, { timeout: 1_000 })).getAccountInfo();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`the JetStream cluster never answered: ${err}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await nc.close();
  }
}
