import { exportJWK, generateKeyPair } from "jose";
import { type EmbeddedDatabase, startEmbeddedPostgres } from "../shared/db/embedded.ts";
import { type ServiceProcess, spawnService } from "../shared/testing/infra.ts";
import { freePort } from "../shared/net.ts";
import { type NatsCluster, startNatsCluster } from "../shared/testing/nats_cluster.ts";
import { type NatsServerProcess, startNatsServer } from "../shared/testing/nats_server.ts";
import { type DistributedSystem, startDistributed } from "../shared/testing/system.ts";

/** How many of each: the single-server shape, or the scale-out one on a NATS cluster (R3). */
export interface Shape {
  natsNodes: 1 | 3;
  producers: number;
  consumers: number;
}

export const SINGLE_SERVER: Shape = { natsNodes: 1, producers: 1, consumers: 2 };
export const CLUSTER: Shape = { natsNodes: 3, producers: 2, consumers: 3 };

/**
 * The system under fault: a nats-server (or a 3-node JetStream cluster with replicated streams)
 * and an embedded PostgreSQL of its own (free ports, temp dirs), auth, producers and consumer
 * instances as processes. Every server here can be killed and brought back on the same port, so
 * clients reconnect to the same addresses.
 */
export interface Topology {
  system: DistributedSystem;
  /** The auth signing key, so the hostile scenario can mint expired tokens the server trusts. */
  privateJwk: JsonWebKey;
  producerUrls: string[];
  consumerUrls: string[];
  /** Query access to the system's database (reconciliation), on the faults' own PostgreSQL. */
  databaseUrl: string;
  killProducer(index: number): Promise<void>;
  startProducer(index: number): Promise<void>;
  killConsumer(index: number): Promise<void>;
  startConsumer(index: number): Promise<void>;
  stopNats(): Promise<void>;
  startNats(): Promise<void>;
  /** The cluster shape only: SIGKILLs the node leading the message stream; returns a restart. */
  killNatsLeader(): Promise<{ name: string; restart(): Promise<void> }>;
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  /** Processes that died without being told to since the last call (a crash is a finding). */
  unexpectedExits(): string[];
  stop(): Promise<void>;
}

export async function startTopology(
  env: Record<string, string>,
  shape: Shape = SINGLE_SERVER,
): Promise<Topology> {
  const dir = await Deno.makeTempDir({ prefix: "rtm-faults-" });
  const cluster: NatsCluster | undefined = shape.natsNodes === 3
    ? await startNatsCluster()
    : undefined;
  const nats: NatsServerProcess | undefined = cluster
    ? undefined
    : await startNatsServer({ storeDir: `${dir}/nats` });
  const pgDir = `${dir}/pg`;
  let pg: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir: pgDir, database: "postgres" });
  const { privateKey } = await generateKeyPair("EdDSA", { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const system = await startDistributed({
    consumers: shape.consumers,
    natsUrl: cluster?.url ?? nats!.url,
    pgAdminUrl: pg.url,
    env: {
      AUTH_PRIVATE_JWK: JSON.stringify(privateJwk),
      // The fuzzers are one user checking answers to bad input; its per-user API budget would
      // turn those into 429s. That budget has its own test (consumer/test/limits.test.ts).
      API_RATE_PER_SECOND: "100000",
      API_RATE_BURST: "100000",
      SEARCH_RATE_PER_MINUTE: "100000",
      ...(cluster ? { STREAM_REPLICAS: "3" } : {}),
      ...env,
    },
  });

  // The processes the topology replaced after a kill; the original ones are stopped by `system`.
  const producers: ServiceProcess[] = [system.producer];
  const consumers: ServiceProcess[] = [...system.consumers];
  const expectedDown = new Set<ServiceProcess>();
  const crashed: string[] = [];
  const watch = (name: string, p: ServiceProcess) => {
    p.child.status.then(() => {
      if (!expectedDown.has(p)) {
        crashed.push(`${name} exited on its own:\n${p.logs().slice(-2000)}`);
      }
    });
  };
  watch("producer 0", system.producer);
  consumers.forEach((c, i) => watch(`consumer ${i}`, c));

  const respawn = async (entry: string, portVar: string, port: number, name: string) => {
    const p = await spawnService(
      entry,
      { ...system.env, [portVar]: String(port) },
      `http://127.0.0.1:${port}/health`,
      port,
    );
    watch(name, p);
    return p;
  };
  const kill = async (p: ServiceProcess) => {
    expectedDown.add(p);
    await p.stop("SIGKILL");
  };
  const restartOnItsPort = async (
    list: ServiceProcess[],
    i: number,
    entry: string,
    portVar: string,
  ) => {
    list[i] = await respawn(entry, portVar, list[i].port, `${entry.split("/")[0]} ${i}`);
  };
  while (producers.length < shape.producers) {
    const i = producers.length;
    producers.push(
      await respawn("producer/cmd/main.ts", "PRODUCER_PORT", freePort(), `producer ${i}`),
    );
  }

  return {
    system,
    privateJwk,
    producerUrls: producers.map((p) => `http://127.0.0.1:${p.port}`),
    consumerUrls: system.consumerUrls,
    databaseUrl: system.databaseUrl,
    killProducer: (i) => kill(producers[i]),
    startProducer: (i) => restartOnItsPort(producers, i, "producer/cmd/main.ts", "PRODUCER_PORT"),
    killConsumer: (i) => kill(consumers[i]),
    startConsumer: (i) => restartOnItsPort(consumers, i, "consumer/cmd/main.ts", "CONSUMER_PORT"),
    stopNats: () => nats ? nats.stop() : Promise.reject(new Error("a cluster: kill a node")),
    startNats: () => nats ? nats.restart() : Promise.reject(new Error("a cluster: restart it")),
    killNatsLeader: async () => {
      if (!cluster) throw new Error("one nats-server: no leader to lose");
      const leader = await cluster.leaderOf(`MESSAGES_${system.namespace}`);
      await leader.stop({ kill: true });
      return { name: leader.name, restart: leader.restart };
    },
    stopPostgres: () => pg.stop(),
    startPostgres: async () => {
      pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pg.port, database: "postgres" });
    },
    unexpectedExits: () => crashed.splice(0),
    stop: async () => {
      for (const p of [...producers, ...consumers, system.auth]) expectedDown.add(p);
      await Promise.all(
        [...producers, ...consumers].filter((p) =>
          !system.consumers.includes(p) &&
          p !== system.producer
        ).map((p) => p.stop()),
      );
      await system.stop().catch(() => {});
      await (cluster ?? nats!).stop();
      await pg.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
