import { loadOrExit } from "../../shared/config/env.ts";
import { migrateUp } from "../../shared/db/migrate.ts";
import { connectPostgres } from "../../shared/db/postgres.ts";
import { onShutdownSignal } from "../../shared/http/serve.ts";
import { createLogger, setLogLevel } from "../../shared/logging/logger.ts";
import { loadAuthConfig, startAuth } from "../mod.ts";

/** Distributed mode: the auth service as its own process against a real PostgreSQL. */
const config = loadOrExit(() => loadAuthConfig());
setLogLevel(config.logLevel);
const logger = createLogger({ service: "auth" });
const sql = connectPostgres(config.databaseUrl);
await migrateUp(sql, logger);
const auth = await startAuth(config, { sql, logger });
onShutdownSignal(logger, async () => {
  await auth.stop();
  await sql.end({ timeout: 5 });
});
