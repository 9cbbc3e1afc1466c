import {
  createTestDatabase,
  deleteNamespace,
  freePort,
  type ServiceProcess,
  spawnService,
  stopCleanly,
  TEST_NATS_URL,
  testNamespace,
} from "./infra.ts";

export interface DistributedSystem {
  databaseUrl: string;
  natsUrl: string;
  namespace: string;
  authUrl: string;
  producerUrl: string;
  consumerUrls: string[];
  auth: ServiceProcess;
  producer: ServiceProcess;
  consumers: ServiceProcess[];
  /** The server API's gRPC ports: the producer's, and each consumer's in `consumers` order. */
  producerGrpcPort: number;
  consumerGrpcPorts: number[];
  /** Env every service of this system runs with (to start more instances). */
  env: Record<string, string>;
  startConsumer(extraEnv?: Record<string, string>): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/**
 * The distributed mode as real processes: auth, producer and `consumers` (default 1, may be 0)
 * consumer instances, against the shared NATS (own namespace) and a fresh database on the shared
 * PostgreSQL, unless `natsUrl` / `pgAdminUrl` name servers of the test's own.
 */
export async function startDistributed(opts: {
  consumers?: number;
  env?: Record<string, string>;
  natsUrl?: string;
  /** Extra `deno run` flags per entry point (e.g. `--cpu-prof` for the benchmark). */
  denoArgs?: (entry: string) => string[];
  /** A PostgreSQL of the test's own (one it stops and starts); the shared one by default. */
  pgAdminUrl?: string;
} = {}): Promise<DistributedSystem> {
  const denoArgs = opts.denoArgs ?? (() => []);
  const db = await createTestDatabase(opts.pgAdminUrl);
  const namespace = testNamespace();
  const natsUrl = opts.natsUrl ?? TEST_NATS_URL;
  const authPort = freePort();
  const producerPort = freePort();
  const dataDir = await Deno.makeTempDir({ prefix: "rtm-test-" });
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    NATS_URL: natsUrl,
    NATS_NAMESPACE: namespace,
    AUTH_JWKS_URL: `http://127.0.0.1:${authPort}/.well-known/jwks.json`,
    AUTH_KEY_FILE: `${dataDir}/signing-key.json`,
    // Where the chat page served by the consumers finds the other two services.
    WEB_AUTH_URL: `http://127.0.0.1:${authPort}`,
    WEB_PRODUCER_URL: `http://127.0.0.1:${producerPort}`,
    LOG_LEVEL: "warn",
    // Streams reserve their max size on the server: keep test streams small.
    STREAM_MAX_BYTES: String(64 * 1024 * 1024),
    // Tests register and log in many users, with timings of seconds: the default hash cost (2^17,
    // about half a second per login here) is what auth's own tests measure, not these.
    AUTH_SCRYPT_LOG2_N: "14",
    ...opts.env,
  };
  const auth = await spawnService(
    "auth/src/main.ts",
    { ...env, AUTH_HTTP_PORT: String(authPort), AUTH_GRPC_PORT: String(freePort()) },
    `http://127.0.0.1:${authPort}/health`,
    authPort,
    undefined,
    denoArgs("auth/src/main.ts"),
  );
  const consumers: ServiceProcess[] = [];
  const consumerGrpcPorts: number[] = [];
  const producerGrpcPort = freePort();
  const startConsumer = async (extraEnv: Record<string, string> = {}) => {
    const port = freePort();
    const grpcPort = freePort();
    const c = await spawnService(
      "consumer/cmd/main.ts",
      { ...env, ...extraEnv, CONSUMER_PORT: String(port), CONSUMER_GRPC_PORT: String(grpcPort) },
      `http://127.0.0.1:${port}/health`,
      port,
      undefined,
      denoArgs("consumer/cmd/main.ts"),
    );
    consumers.push(c);
    consumerGrpcPorts.push(grpcPort);
    return c;
  };
  const [producer] = await Promise.all([
    spawnService(
      "producer/cmd/main.ts",
      { ...env, PRODUCER_PORT: String(producerPort), PRODUCER_GRPC_PORT: String(producerGrpcPort) },
      `http://127.0.0.1:${producerPort}/health`,
      producerPort,
      undefined,
      denoArgs("producer/cmd/main.ts"),
    ),
    // auth has run the migrations already; consumers re-check them under a lock.
    (opts.consumers ?? 1) > 0 ? startConsumer() : undefined,
  ]);
  for (let i = 1; i < (opts.consumers ?? 1); i++) await startConsumer();
  return {
    databaseUrl: db.url,
    natsUrl,
    namespace,
    authUrl: `http://127.0.0.1:${authPort}`,
    producerUrl: `http://127.0.0.1:${producerPort}`,
    get consumerUrls() {
      return consumers.map((c) => `http://127.0.0.1:${c.port}`);
    },
    auth,
    producer,
    consumers,
    producerGrpcPort,
    consumerGrpcPorts,
    env,
    startConsumer,
    stop: async () => {
      try {
        await stopCleanly([auth, producer, ...consumers]);
      } finally {
        await db.drop();
        await deleteNamespace(natsUrl, namespace);
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      }
    },
  };
}

export interface SingleNodeSystem {
  databaseUrl: string;
  authUrl: string;
  producerUrl: string;
  consumerUrl: string;
  node: ServiceProcess;
  stop(): Promise<void>;
}

/**
 * `deno task start`'s process (auth, producer and consumer in one, the in-process broker with its
 * fsync'd journal) on free ports, against a fresh database on the shared PostgreSQL instead of an
 * embedded one (the same server software, without its start-up).
 */
export async function startSingleNode(opts: {
  env?: Record<string, string>;
  denoArgs?: string[];
} = {}): Promise<SingleNodeSystem> {
  const db = await createTestDatabase();
  const dataDir = await Deno.makeTempDir({ prefix: "rtm-single-" });
  const [auth, producer, consumer] = [freePort(), freePort(), freePort()];
  try {
    const node = await spawnService(
      "standalone/main.ts",
      {
        DATA_DIR: dataDir,
        DATABASE_URL: db.url,
        // The in-process broker, whatever NATS_URL the caller's environment names.
        NATS_URL: "",
        AUTH_HTTP_PORT: String(auth),
        AUTH_GRPC_PORT: String(freePort()),
        PRODUCER_PORT: String(producer),
        CONSUMER_PORT: String(consumer),
        LOG_LEVEL: "warn",
        AUTH_SCRYPT_LOG2_N: "14",
        ...opts.env,
      },
      `http://127.0.0.1:${consumer}/health`,
      consumer,
      60_000,
      opts.denoArgs,
    );
    return {
      databaseUrl: db.url,
      authUrl: `http://127.0.0.1:${auth}`,
      producerUrl: `http://127.0.0.1:${producer}`,
      consumerUrl: `http://127.0.0.1:${consumer}`,
      node,
      stop: async () => {
        try {
          await stopCleanly([node]);
        } finally {
          await db.drop();
          await Deno.remove(dataDir, { recursive: true }).catch(() => {});
        }
      },
    };
  } catch (err) {
    await db.drop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    throw err;
  }
}

/** ws:// form of an http:// base URL. */
export function wsUrl(httpBase: string): string {
  return `${httpBase.replace(/^http/, "ws")}/v1/ws`;
}
