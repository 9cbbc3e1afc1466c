/**
 * The producer service's one entry, used by its own process (cmd/main.ts) and by the single-node
 * process (standalone/main.ts): given the infrastructure, it builds its own adapters and starts.
 */
import { PgChannelAccess } from "../shared/channels/pg_channel_access.ts";
import type { ServicePolicy } from "../shared/config/process.ts";
import type { Sql } from "../shared/db/postgres.ts";
import type { ReadinessCheck } from "../shared/http/app.ts";
import type { Logger } from "../shared/logging/logger.ts";
import type { Broker } from "../shared/ports/broker.ts";
import type { TokenVerifier } from "../shared/ports/tokens.ts";
import { PgSessionRevocations } from "../shared/sessions/pg_session_revocations.ts";
import type { ProducerConfig } from "./config/config.ts";
import { PgEventTargets } from "./internal/adapters/outbound/pg_event_targets.ts";
import { PgServerPublishAccess } from "./internal/adapters/outbound/pg_server_publish_access.ts";
import { type RunningProducer, startProducer as startProducerApp } from "./internal/app.ts";
import { PgApiKeys } from "../shared/apikeys/pg_api_keys.ts";

export { loadProducerConfig, loadProducerSettings, type ProducerConfig } from "./config/config.ts";
export type { RunningProducer };

export interface ProducerInfra {
  sql: Sql;
  broker: Pick<Broker, "log" | "signals">;
  verifier: TokenVerifier;
  logger: Logger;
  readiness: Record<string, ReadinessCheck>;
  policy: ServicePolicy;
  /** Services in one process share one access cache, so a revocation clears it for all. */
  access?: PgChannelAccess;
}

export function startProducer(
  config: ProducerConfig,
  infra: ProducerInfra,
): Promise<RunningProducer> {
  const { sql, policy } = infra;
  return startProducerApp(config, {
    log: infra.broker.log,
    signals: infra.broker.signals,
    access: infra.access ?? new PgChannelAccess(sql, policy.channelsPerHour),
    sessions: new PgSessionRevocations(sql, policy.sessionPollMs, infra.logger),
    serverAccess: new PgServerPublishAccess(sql),
    apiKeys: new PgApiKeys(sql),
    targets: new PgEventTargets(sql, config.limits.publishTimeoutMs),
    verifier: infra.verifier,
    logger: infra.logger,
    readiness: infra.readiness,
  });
}
