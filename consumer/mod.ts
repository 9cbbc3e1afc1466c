/**
 * The consumer service's one entry, used by its own process (cmd/main.ts) and by the single-node
 * process (standalone/main.ts): given the infrastructure, it builds its own adapters and starts.
 */
import { PgChannelAccess } from "../shared/channels/pg_channel_access.ts";
import type { ServicePolicy } from "../shared/config/process.ts";
import type { Sql } from "../shared/db/postgres.ts";
import type { ReadinessCheck } from "../shared/http/app.ts";
import type { Logger } from "../shared/logging/logger.ts";
import type { TokenVerifier } from "../shared/ports/tokens.ts";
import { PgSessionRevocations } from "../shared/sessions/pg_session_revocations.ts";
import type { ConsumerConfig } from "./config/config.ts";
import { PgApiKeys } from "../shared/apikeys/pg_api_keys.ts";
import {
  PgChannelDirectory,
  UNLIMITED_PER_HOUR,
} from "./internal/adapters/outbound/pg_channel_directory.ts";
import { PgChannelRoster } from "./internal/adapters/outbound/pg_channel_roster.ts";
import { PgHistoryPruner } from "./internal/adapters/outbound/pg_history_pruner.ts";
import { PgEventOutbox } from "./internal/adapters/outbound/pg_event_outbox.ts";
import { PgMessageSearch } from "./internal/adapters/outbound/pg_message_search.ts";
import { PgMessageStore } from "./internal/adapters/outbound/pg_message_store.ts";
import { PgPeople } from "./internal/adapters/outbound/pg_people.ts";
import {
  type ConsumerDeps,
  type RunningConsumer,
  startConsumer as startConsumerApp,
} from "./internal/app.ts";

export { type ConsumerConfig, loadConsumerConfig, loadConsumerSettings } from "./config/config.ts";
export type { RunningConsumer };

export interface ConsumerInfra {
  sql: Sql;
  broker: ConsumerDeps["broker"];
  verifier: TokenVerifier;
  logger: Logger;
  readiness: Record<string, ReadinessCheck>;
  policy: ServicePolicy;
  /** Services in one process share one access cache, so a revocation clears it for all. */
  access?: PgChannelAccess;
}

export function startConsumer(
  config: ConsumerConfig,
  infra: ConsumerInfra,
): Promise<RunningConsumer> {
  const { sql, policy, ...rest } = infra;
  return startConsumerApp(config, {
    ...rest,
    store: new PgMessageStore(sql),
    search: new PgMessageSearch(sql),
    directory: new PgChannelDirectory(sql, policy.channelsPerHour),
    serverDirectory: new PgChannelDirectory(sql, UNLIMITED_PER_HOUR),
    roster: new PgChannelRoster(sql),
    people: new PgPeople(sql),
    pruner: new PgHistoryPruner(sql),
    outbox: new PgEventOutbox(sql),
    apiKeys: new PgApiKeys(sql),
    sessions: new PgSessionRevocations(sql, policy.sessionPollMs, infra.logger),
    access: infra.access ?? new PgChannelAccess(sql, policy.channelsPerHour),
  });
}
