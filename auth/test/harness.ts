import * as grpc from "@grpc/grpc-js";
import { migrateUp } from "../../shared/db/migrate.ts";
import { connectPostgres, type Sql } from "../../shared/db/postgres.ts";
import { createLogger, setLogLevel } from "../../shared/logging/logger.ts";
import { createTestDatabase } from "../../shared/testing/infra.ts";
import { type AuthConfig, loadAuthConfig } from "../src/config.ts";
import { loadAuthPackage } from "../src/grpc.ts";
import { type RunningAuth, startAuth } from "../src/server.ts";

setLogLevel("error");
export const logger = createLogger({ service: "auth-test" });
export const PASSWORD = "correct horse battery";

export function uniqueEmail(): string {
  return `user-${crypto.randomUUID()}@example.com`;
}

/** A gRPC call as a promise; failures reject with grpc-js's ServiceError (code, details). */
export type GrpcCall = <T = Record<string, unknown>>(
  method: string,
  request: Record<string, unknown>,
) => Promise<T>;

export function grpcClient(port: number): { call: GrpcCall; close(): void } {
  const Client = loadAuthPackage().AuthService as grpc.ServiceClientConstructor;
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call: GrpcCall = (method, request) =>
    new Promise((resolve, reject) =>
      client[method](
        request,
        { deadline: Date.now() + 10_000 },
        (err: grpc.ServiceError | null, res: unknown) => err ? reject(err) : resolve(res as never),
      )
    );
  return { call, close: () => client.close() };
}

/** Rejects unless `promise` fails with gRPC status `code`; returns the error. */
export async function grpcFails(promise: Promise<unknown>, code: grpc.status) {
  try {
    await promise;
  } catch (err) {
    const e = err as grpc.ServiceError;
    if (e.code !== code) throw new Error(`expected gRPC ${code}, got ${e.code}: ${e.details}`);
    return e;
  }
  throw new Error(`expected gRPC ${code}, the call succeeded`);
}

export interface AuthUnderTest {
  config: AuthConfig;
  auth: RunningAuth;
  url: string;
  sql: Sql;
  grpc: { call: GrpcCall; close(): void };
  /** Stops the service (not the database): to restart it on the same data. */
  stopService(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real auth service in this process: HTTP and gRPC on free local ports, a fresh database on
 * the shared PostgreSQL (or `databaseUrl`), its signing key in a temporary folder.
 */
export async function startTestAuth(
  env: Record<string, string> = {},
  opts: { databaseUrl?: string; keyDir?: string } = {},
): Promise<AuthUnderTest> {
  const db = opts.databaseUrl ? undefined : await createTestDatabase();
  const keyDir = opts.keyDir ?? await Deno.makeTempDir({ prefix: "rtm-auth-test-" });
  const config = loadAuthConfig({
    DATABASE_URL: opts.databaseUrl ?? db!.url,
    AUTH_HTTP_PORT: "0",
    AUTH_GRPC_PORT: "0",
    AUTH_KEY_FILE: `${keyDir}/signing-key.json`,
    // A quarter of the default's cost keeps the many hashes of the tests quick; tests of the
    // hashing itself set their own.
    AUTH_SCRYPT_LOG2_N: "15",
    ...env,
  });
  const sql = connectPostgres(config.databaseUrl, { max: 4 });
  await migrateUp(sql);
  const auth = await startAuth(config, { sql, logger });
  const client = grpcClient(auth.grpcPort);
  let serviceStopped = false;
  const stopService = async () => {
    if (serviceStopped) return;
    serviceStopped = true;
    client.close();
    await auth.stop();
  };
  return {
    config,
    auth,
    url: `http://127.0.0.1:${auth.httpPort}`,
    sql,
    grpc: client,
    stopService,
    stop: async () => {
      await stopService();
      await sql.end({ timeout: 1 });
      await db?.drop();
      if (!opts.keyDir) await Deno.remove(keyDir, { recursive: true }).catch(() => {});
    },
  };
}

/** Parsed JSON of a response, loosely typed: tests assert on its shape. */
// deno-lint-ignore no-explicit-any
export type Json = Record<string, any>;

/** POSTs JSON and returns status and parsed body (undefined when empty). */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export async function getJson(
  url: string,
  token?: string,
): Promise<{ status: number; body: Json }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: await res.json() };
}

/** Registers `email` and logs in over HTTP; returns the login response body. */
export async function registerAndLogin(url: string, email = uniqueEmail()) {
  const reg = await postJson(`${url}/v1/auth/register`, { email, password: PASSWORD });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await postJson(`${url}/v1/auth/login`, { email, password: PASSWORD });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  return login.body;
}

/**
 * Median times of two kinds of POST to `url`, interleaved so that a busy machine slows both alike;
 * every answer must have `status`.
 */
export async function medianTimes(
  url: string,
  status: number,
  kinds: [() => unknown, () => unknown],
  rounds = 9,
): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < rounds; i++) {
    for (const k of [0, 1] as const) {
      const started = performance.now();
      const res = await postJson(url, kinds[k]());
      if (res.status !== status) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
      times[k].push(performance.now() - started);
    }
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1];
  return [median(times[0]), median(times[1])];
}
