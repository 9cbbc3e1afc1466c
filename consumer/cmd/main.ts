import { PgApiKeys } from "../../shared/apikeys/pg_api_keys.ts";
import { JwtVerifier } from "../../shared/auth/jwt_verifier.ts";
import { NatsBroker } from "../../shared/broker/nats.ts";
import { PgChannelAccess } from "../../shared/channels/pg_channel_access.ts";
import { PgSessionRevocations } from "../../shared/sessions/pg_session_revocations.ts";
import { loadOrExit } from "../../shared/config/env.ts";
import { migrateUp } from "../../shared/db/migrate.ts";
import { connectPostgres, pingPostgres } from "../../shared/db/postgres.ts";
import { onShutdownSignal } from "../../shared/http/serve.ts";
import { createLogger, setLogLevel } from "../../shared/logging/logger.ts";
import { loadConsumerConfig } from "../config/config.ts";
import {
  PgChannelDirectory,
  UNLIMITED_PER_HOUR,
} from "../internal/adapters/outbound/pg_channel_directory.ts";
import { PgHistoryPruner } from "../internal/adapters/outbound/pg_history_pruner.ts";
import { PgChannelRoster } from "../internal/adapters/outbound/pg_channel_roster.ts";
import { PgMessageStore } from "../internal/adapters/outbound/pg_message_store.ts";
import { startConsumer } from "../internal/app.ts";

/** Distributed mode: one consumer instance against real NATS and PostgreSQL (scale by running more). */
const config = loadOrExit(() => loadConsumerConfig());
setLogLevel(config.logLevel);
const logger = createLogger({ service: "consumer" });
const sql = connectPostgres(config.databaseUrl, { max: 20 });
await migrateUp(sql, logger);
const broker = await NatsBroker.connect({ ...config.broker, name: "consumer", logger });
const consumer = await startConsumer(config, {
  broker,
  store: new PgMessageStore(sql),
  directory: new PgChannelDirectory(sql, config.channelsPerHour),
  serverDirectory: new PgChannelDirectory(sql, UNLIMITED_PER_HOUR),
  roster: new PgChannelRoster(sql),
  pruner: new PgHistoryPruner(sql),
  apiKeys: new PgApiKeys(sql),
  sessions: new PgSessionRevocations(sql, config.sessionPollMs, logger),
  access: new PgChannelAccess(sql, config.channelsPerHour),
  verifier: JwtVerifier.fromJwksUrl(config.jwksUrl, config.issuer, config.audience),
  logger,
  readiness: { nats: () => broker.healthy(), postgres: () => pingPostgres(sql) },
});
onShutdownSignal(logger, async () => {
  await consumer.stop();
  await broker.close();
  await sql.end({ timeout: 5 });
});
