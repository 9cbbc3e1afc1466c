import { PgApiKeys } from "../../shared/apikeys/pg_api_keys.ts";
import { JwtVerifier } from "../../shared/auth/jwt_verifier.ts";
import { NatsBroker } from "../../shared/broker/nats.ts";
import { PgChannelAccess } from "../../shared/channels/pg_channel_access.ts";
import { PgSessionRevocations } from "../../shared/sessions/pg_session_revocations.ts";
import { loadOrExit } from "../../shared/config/env.ts";
import { connectPostgres, pingPostgres } from "../../shared/db/postgres.ts";
import { onShutdownSignal } from "../../shared/http/serve.ts";
import { createLogger, setLogLevel } from "../../shared/logging/logger.ts";
import { loadProducerConfig } from "../config/config.ts";
import { PgServerPublishAccess } from "../internal/adapters/outbound/pg_server_publish_access.ts";
import { startProducer } from "../internal/app.ts";

/** Distributed mode: the producer as its own process against real NATS and PostgreSQL. */
const config = loadOrExit(() => loadProducerConfig());
setLogLevel(config.logLevel);
const logger = createLogger({ service: "producer" });
const sql = connectPostgres(config.databaseUrl);
const broker = await NatsBroker.connect({ ...config.broker, name: "producer", logger });
const producer = await startProducer(config, {
  log: broker.log,
  signals: broker.signals,
  sessions: new PgSessionRevocations(sql, config.sessionPollMs, logger),
  access: new PgChannelAccess(sql, config.channelsPerHour),
  serverAccess: new PgServerPublishAccess(sql),
  apiKeys: new PgApiKeys(sql),
  verifier: JwtVerifier.fromJwksUrl(config.jwksUrl, config.issuer, config.audience),
  logger,
  readiness: { nats: () => broker.healthy(), postgres: () => pingPostgres(sql) },
});
onShutdownSignal(logger, async () => {
  await producer.stop();
  await broker.close();
  await sql.end({ timeout: 5 });
});
