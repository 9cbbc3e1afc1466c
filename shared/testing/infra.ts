import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import postgres from "postgres";
import { brokerNames } from "../broker/subjects.ts";
import { migrateUp } from "../db/migrate.ts";
import { connectPostgres, type Sql } from "../db/postgres.ts";
import { ENTRIES, type Entry, permissionFlags } from "../config/permissions.ts";
import { freePort } from "../net.ts";

/** Where the shared test servers live (CI starts them when absent). */
export const TEST_PG_ADMIN_URL = Deno.env.get("TEST_PG_ADMIN_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";
export const TEST_NATS_URL = Deno.env.get("TEST_NATS_URL") ?? "nats://127.0.0.1:4222";

/** A fresh, empty database on the shared PostgreSQL (or `adminUrl`'s), dropped by `drop()`. */
export async function createTestDatabase(
  adminUrl = TEST_PG_ADMIN_URL,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rtm_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** Runs `fn` with a pool of `max` connections on a fresh, migrated database, dropped afterwards. */
export async function withMigratedDatabase(
  fn: (sql: Sql) => Promise<void>,
  { max = 8 }: { max?: number } = {},
): Promise<void> {
  const db = await createTestDatabase();
  const sql = connectPostgres(db.url, { max });
  try {
    await migrateUp(sql);
    await fn(sql);
  } finally {
    await sql.end();
    await db.drop();
  }
}

/** Removes a test namespace's streams (and with them their consumers) from the shared NATS. */
export async function deleteNamespace(natsUrl: string, namespace: string): Promise<void> {
  const nc = await connect({ servers: natsUrl.split(",") });
  try {
    const jsm = await jetstreamManager(nc);
    const names = brokerNames(namespace);
    for (const stream of [names.stream, names.deadLetterStream, names.eventStream]) {
      await jsm.streams.delete(stream).catch(() => {});
    }
  } finally {
    await nc.close();
  }
}

/** A NATS namespace of its own, so parallel runs never share a stream. */
export function testNamespace(): string {
  return `t${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

export interface ServiceProcess {
  port: number;
  child: Deno.ChildProcess;
  /** Everything the process wrote to stderr so far (its JSON logs). */
  logs(): string;
  /** Sends a signal and waits for exit; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** Whether stop() was called: the test ended the process on purpose. */
  readonly stopped: boolean;
}

/**
 * Stops every process the test left running and fails unless each exits 0: a graceful stop that
 * fails, or a process that already exited by itself (a crash), is a bug the test must not hide.
 */
export async function stopCleanly(processes: ServiceProcess[]): Promise<void> {
  const left = processes.filter((p) => !p.stopped);
  const codes = await Promise.all(left.map((p) => p.stop()));
  const failed = left.flatMap((p, i) =>
    codes[i] === 0 ? [] : [`port ${p.port} exited ${codes[i]}:\n${p.logs().slice(-4_000)}`]
  );
  if (failed.length) throw new Error(`services did not stop cleanly:\n${failed.join("\n")}`);
}

const ROOT = new URL("../../", import.meta.url);

/**
 * Starts `deno run <the entry's permissions> [denoArgs] <entry>` from the repo root with `env`
 * (as its deno.json task does), and waits for `healthUrl`. `denoArgs` adds runtime flags (the
 * benchmark's `--cpu-prof`).
 */
export async function spawnService(
  entry: string,
  env: Record<string, string>,
  healthUrl: string,
  port: number,
  timeoutMs = 30_000,
  denoArgs: string[] = [],
): Promise<ServiceProcess> {
  if (!ENTRIES.includes(entry as Entry)) throw new Error(`${entry} is no service entry point`);
  const permissions = permissionFlags(entry as Entry, env);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, ...denoArgs, entry],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let logs = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) logs += decoder.decode(chunk);
  };
  const pumping = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const status = child.status;
  let exited = false;
  status.then(() => exited = true);
  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (exited) {
      await pumping;
      throw new Error(`${entry} exited before it was healthy:\n${logs}`);
    }
    try {
      const res = await fetch(healthUrl);
      await res.body?.cancel();
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${entry} not healthy within ${timeoutMs} ms:\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let stopped = false;
  return {
    port,
    child,
    logs: () => logs,
    get stopped() {
      return stopped;
    },
    stop: async (signal = "SIGTERM") => {
      stopped = true;
      const kill = (sig: Deno.Signal) => {
        try {
          if (!exited) child.kill(sig);
        } catch { /* already gone */ }
      };
      kill(signal);
      // A graceful stop that hangs is a bug to see in the logs, not a hung test run.
      const force = setTimeout(() => kill("SIGKILL"), 15_000);
      const { code } = await status;
      clearTimeout(force);
      await pumping;
      return code;
    },
  };
}

export { freePort };

/** Registers a fresh user and logs in; returns the user id and access token. */
export async function registerAndLogin(
  authBaseUrl: string,
  email = `user-${crypto.randomUUID()}@example.com`,
  password = "correct horse battery",
): Promise<{ userId: string; token: string; email: string }> {
  const reg = await fetch(`${authBaseUrl}/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  return { ...await login(authBaseUrl, email, password), email };
}

/** Logs a registered user in again: a new access token for the same user. */
export async function login(
  authBaseUrl: string,
  email: string,
  password = "correct horse battery",
): Promise<{ userId: string; token: string }> {
  const res = await fetch(`${authBaseUrl}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  const body = await res.json();
  return { userId: body.user.id, token: body.accessToken };
}

/** A JWT's `exp` claim (epoch seconds), read without verifying: for timing tests. */
export function expiresAt(jwt: string): number {
  return JSON.parse(atob(jwt.split(".")[1])).exp;
}
