/**
 * goose-compatible migrations: `deno task migrate:up|down|status`, `deno task migrate:create NAME`.
 * Uses DATABASE_URL; the table `goose_db_version` is kept exactly as goose keeps it.
 */
import { z } from "zod";
import { loadOrExit, parseEnv } from "../shared/config/env.ts";
import { migrateDown, migrateUp, MIGRATIONS_DIR, migrationStatus } from "../shared/db/migrate.ts";
import { connectPostgres } from "../shared/db/postgres.ts";
import { createLogger } from "../shared/logging/logger.ts";

const [command, name] = Deno.args;
const logger = createLogger({ service: "migrate" });

if (command === "create") {
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    console.error("usage: deno task migrate:create <name>   (lower-case letters, digits, _)");
    Deno.exit(2);
  }
  let last = 0;
  for await (const e of Deno.readDir(MIGRATIONS_DIR)) {
    const v = Number(e.name.split("_")[0]);
    if (Number.isInteger(v)) last = Math.max(last, v);
  }
  const file = `${String(last + 1).padStart(5, "0")}_${name}.sql`;
  await Deno.writeTextFile(
    new URL(file, MIGRATIONS_DIR),
    "-- +goose Up\n\n-- +goose Down\n",
    { createNew: true },
  );
  console.log(`created migrations/${file}`);
  Deno.exit(0);
}

const { DATABASE_URL } = loadOrExit(() => parseEnv(z.object({ DATABASE_URL: z.url() })));
const sql = connectPostgres(DATABASE_URL, { max: 1 });
try {
  switch (command) {
    case "up":
      console.log(`applied: ${(await migrateUp(sql, logger)).join(", ") || "nothing pending"}`);
      break;
    case "down":
      console.log(`rolled back: ${(await migrateDown(sql, logger)) ?? "nothing applied"}`);
      break;
    case "status":
      for (const m of await migrationStatus(sql)) {
        console.log(`${m.applied ? "applied" : "pending"}  ${m.version}  ${m.name}`);
      }
      break;
    default:
      console.error("usage: migrate.ts up|down|status|create <name>");
      Deno.exitCode = 2;
  }
} catch (err) {
  // An operator's mistake (no such database, nothing listening): one line, not a stack trace.
  console.error(`migrate ${command}: ${databaseOf(DATABASE_URL)}: ${(err as Error).message}`);
  Deno.exitCode = 1;
} finally {
  await sql.end();
}

/** Where the URL points, without its credentials. */
function databaseOf(url: string): string {
  const u = new URL(url);
  return `${u.host}${u.pathname}`;
}
