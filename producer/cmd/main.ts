import { JwtVerifier } from "../../shared/auth/jwt_verifier.ts";
import { NatsBroker } from "../../shared/broker/nats.ts";
import { loadOrExit } from "../../shared/config/env.ts";
import { connectPostgres, pingPostgres } from "../../shared/db/postgres.ts";
import { onShutdownSignal } from "../../shared/http/serve.ts";
import { createLogger, setLogLevel } from "../../shared/logging/logger.ts";
import { loadProducerConfig, startProducer } from "../mod.ts";

/** Distributed mode: the producer as its own process against real NATS and PostgreSQL. */
const config = loadOrExit(() => loadProducerConfig());
setLogLevel(config.logLevel);
const logger = createLogger({ service: "producer" });
const sql = connectPostgres(config.databaseUrl);
const broker = await NatsBroker.connect({ ...config.broker, name: "producer", logger });
const producer = await startProducer(config, {
  sql,
  broker,
  verifier: JwtVerifier.fromJwksUrl(config.jwksUrl, config.issuer, config.audience),
  logger,
  policy: config.policy,
  readiness: { nats: () => broker.healthy(), postgres: () => pingPostgres(sql) },
});
onShutdownSignal(logger, async () => {
  await producer.stop();
  await broker.close();
  await sql.end({ timeout: 5 });
});
