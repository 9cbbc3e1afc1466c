import { JwtVerifier } from "../../shared/auth/jwt_verifier.ts";
import { NatsBroker } from "../../shared/broker/nats.ts";
import { loadOrExit } from "../../shared/config/env.ts";
import { migrateUp } from "../../shared/db/migrate.ts";
import { connectPostgres, pingPostgres } from "../../shared/db/postgres.ts";
import { onShutdownSignal } from "../../shared/http/serve.ts";
import { createLogger, setLogLevel } from "../../shared/logging/logger.ts";
import { loadConsumerConfig, startConsumer } from "../mod.ts";

/** Distributed mode: one consumer instance against real NATS and PostgreSQL (scale by running more). */
const config = loadOrExit(() => loadConsumerConfig());
setLogLevel(config.logLevel);
const logger = createLogger({ service: "consumer" });
const sql = connectPostgres(config.databaseUrl, { max: 20 });
await migrateUp(sql, logger);
const broker = await NatsBroker.connect({ ...config.broker, name: "consumer", logger });
const consumer = await startConsumer(config, {
  sql,
  broker,
  verifier: JwtVerifier.fromJwksUrl(config.jwksUrl, config.issuer, config.audience),
  logger,
  policy: config.policy,
  readiness: { nats: () => broker.healthy(), postgres: () => pingPostgres(sql) },
});
onShutdownSignal(logger, async () => {
  await consumer.stop();
  await broker.close();
  await sql.end({ timeout: 5 });
});
