import { exportJWK, generateKeyPair } from "jose";
import { type EmbeddedDatabase, startEmbeddedPostgres } from "../shared/db/embedded.ts";
import { type ServiceProcess, spawnService } from "../shared/testing/infra.ts";
import { type NatsServerProcess, startNatsServer } from "../shared/testing/nats_server.ts";
import { type DistributedSystem, startDistributed } from "../shared/testing/system.ts";

/**
 * The system under fault: a nats-server and an embedded PostgreSQL of its own (free ports, temp
 * dirs), auth, one producer and two consumer instances as processes. Every server here can be
 * killed and brought back on the same port, so clients reconnect to the same addresses.
 */
export interface Topology {
  system: DistributedSystem;
  /** The auth signing key, so the hostile scenario can mint expired tokens the server trusts. */
  privateJwk: JsonWebKey;
  producerUrl: string;
  consumerUrls: string[];
  /** Query access to the system's database (reconciliation), on the faults' own PostgreSQL. */
  databaseUrl: string;
  killProducer(): Promise<void>;
  startProducer(): Promise<void>;
  killConsumer(index: number): Promise<void>;
  startConsumer(index: number): Promise<void>;
  stopNats(): Promise<void>;
  startNats(): Promise<void>;
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  /** Processes that died without being told to since the last call (a crash is a finding). */
  unexpectedExits(): string[];
  stop(): Promise<void>;
}

export async function startTopology(env: Record<string, string>): Promise<Topology> {
  const dir = await Deno.makeTempDir({ prefix: "rtm-faults-" });
  const nats: NatsServerProcess = await startNatsServer({ storeDir: `${dir}/nats` });
  const pgDir = `${dir}/pg`;
  let pg: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir: pgDir, database: "postgres" });
  const { privateKey } = await generateKeyPair("EdDSA", { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const system = await startDistributed({
    consumers: 2,
    natsUrl: nats.url,
    pgAdminUrl: pg.url,
    env: { AUTH_PRIVATE_JWK: JSON.stringify(privateJwk), ...env },
  });

  // The processes the topology replaced after a kill; the original ones are stopped by `system`.
  let producer: ServiceProcess = system.producer;
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
  watch("producer", producer);
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

  return {
    system,
    privateJwk,
    producerUrl: system.producerUrl,
    consumerUrls: system.consumerUrls,
    databaseUrl: system.databaseUrl,
    killProducer: () => kill(producer),
    startProducer: async () => {
      producer = await respawn("producer/cmd/main.ts", "PRODUCER_PORT", producer.port, "producer");
    },
    killConsumer: (i) => kill(consumers[i]),
    startConsumer: async (i) => {
      consumers[i] = await respawn(
        "consumer/cmd/main.ts",
        "CONSUMER_PORT",
        consumers[i].port,
        `consumer ${i}`,
      );
    },
    stopNats: () => nats.stop(),
    startNats: () => nats.restart(),
    stopPostgres: () => pg.stop(),
    startPostgres: async () => {
      pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pg.port, database: "postgres" });
    },
    unexpectedExits: () => crashed.splice(0),
    stop: async () => {
      for (const p of [producer, ...consumers, system.auth]) expectedDown.add(p);
      await Promise.all(
        [producer, ...consumers].filter((p) =>
          !system.consumers.includes(p) &&
          p !== system.producer
        ).map((p) => p.stop()),
      );
      await system.stop().catch(() => {});
      await nats.stop();
      await pg.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
