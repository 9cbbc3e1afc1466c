/**
 * `deno task test`: every test file with coverage (service processes the tests spawn inherit
 * DENO_COVERAGE_DIR, so their code counts too), a coverage summary, and a closing
 * "N passed, N failed" line. `deno task test:unit` (`--unit`): the unit tier only, in seconds.
 * Other arguments are test files or folders to run (default: all), or flags for `deno test`
 * (e.g. --filter).
 *
 * The tiers need no list: a unit test is a test file whose imports never reach the modules that
 * give tests servers (SERVER_MODULES: PostgreSQL databases, NATS, service processes). Everything
 * else is an integration test and runs in the full tier only.
 *
 * Each file runs in a `deno test` process of its own, stopped with everything it started after
 * FILE_TIMEOUT_MS: a test that hangs fails its file, and the run goes on. TEST_JOBS files (2) run
 * at once, each file's output printed whole when it ends; the fault suites (EXCLUSIVE) run alone
 * afterwards, since they load the machine and measure recovery times.
 *
 * Tests use PostgreSQL on 127.0.0.1:5432 and NATS on 127.0.0.1:4222 when they answer (CI makes
 * sure they do). On a machine without them this starts an embedded PostgreSQL and, when the
 * `nats-server` binary is installed, a nats-server with JetStream, each on a free port.
 */
import { relative } from "node:path";
import { startEmbeddedPostgres } from "../shared/db/embedded.ts";
import { startNatsServer } from "../shared/testing/nats_server.ts";

const ROOT = new URL("../", import.meta.url);
const COVERAGE_DIR = "coverage/raw";
/** The slowest file (the fault suite, quick profile) takes about 90 s here; TEST_FILE_TIMEOUT_SECONDS changes the bound. */
const FILE_TIMEOUT_MS = Number(Deno.env.get("TEST_FILE_TIMEOUT_SECONDS") ?? 180) * 1000;
const SERVER_MODULES = ["shared/testing/infra.ts", "shared/testing/nats_server.ts"];
/** Files run at once (every file waits on servers and browsers more than it computes). */
const JOBS = Math.max(1, Number(Deno.env.get("TEST_JOBS") ?? 2));
/** Files that run alone, after the others. */
const EXCLUSIVE = /^faults\//;
/** deno test's own pattern for test files. */
const TEST_FILE = /(^|[._])test\.[mc]?[jt]sx?$/;
const SKIPPED_DIRS = new Set([".git", "node_modules", "data", "coverage", "out"]);

async function answers(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

async function testFilesUnder(path: string): Promise<string[]> {
  if ((await Deno.stat(path)).isFile) return [path];
  const files: string[] = [];
  for await (const entry of Deno.readDir(path)) {
    const child = `${path}/${entry.name}`;
    if (entry.isDirectory && !SKIPPED_DIRS.has(entry.name)) {
      files.push(...await testFilesUnder(child));
    } else if (entry.isFile && TEST_FILE.test(entry.name)) files.push(child);
  }
  return files.sort();
}

/** Whether a test file's module graph reaches a module that gives tests servers. */
async function needsServers(file: string): Promise<boolean> {
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", file],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!success) return true; // unresolvable: let the full tier report it
  const { modules } = JSON.parse(new TextDecoder().decode(stdout)) as {
    modules: { specifier: string }[];
  };
  return modules.some((m) => SERVER_MODULES.some((s) => m.specifier === new URL(s, ROOT).href));
}

const args = Deno.args.filter((a) => a !== "--unit");
const unit = args.length < Deno.args.length;
const paths: string[] = [];
const flags: string[] = [];
for (const arg of args) {
  const isPath = !arg.startsWith("-") && await Deno.stat(arg).then(() => true, () => false);
  (isPath ? paths : flags).push(arg);
}
let files = (await Promise.all((paths.length ? paths : ["."]).map(testFilesUnder))).flat()
  .map((f) => relative(".", f));
if (unit) {
  const needs = await Promise.all(files.map(needsServers));
  files = files.filter((_, i) => !needs[i]);
}

const env: Record<string, string> = unit ? {} : { DENO_COVERAGE_DIR: COVERAGE_DIR };
const cleanups: (() => Promise<void>)[] = [];
if (!unit && !Deno.env.get("TEST_PG_ADMIN_URL") && !await answers(5432)) {
  const dataDir = await Deno.makeTempDir({ prefix: "rtm-test-pg-" });
  const pg = await startEmbeddedPostgres({ dataDir: `${dataDir}/pg`, database: "postgres" });
  env.TEST_PG_ADMIN_URL = pg.url;
  cleanups.push(async () => {
    await pg.stop();
    await Deno.remove(dataDir, { recursive: true });
  });
  console.error(`no PostgreSQL on 127.0.0.1:5432: using an embedded one on port ${pg.port}`);
}
if (!unit && !Deno.env.get("TEST_NATS_URL") && !await answers(4222)) {
  try {
    const nats = await startNatsServer();
    env.TEST_NATS_URL = nats.url;
    cleanups.push(async () => {
      await nats.stop();
      await Deno.remove(nats.storeDir, { recursive: true });
    });
    console.error(`no NATS on 127.0.0.1:4222: using a nats-server on port ${nats.port}`);
  } catch {
    console.error(
      "no NATS on 127.0.0.1:4222 and no nats-server binary: apt-get install nats-server",
    );
    Deno.exit(1);
  }
}

/** The files being run, with their process groups, so a signal to the runner stops them too. */
const running = new Set<Deno.ChildProcess>();
const stopGroup = (child: Deno.ChildProcess) => {
  try {
    Deno.kill(-child.pid, "SIGKILL");
  } catch { /* already gone */ }
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    for (const child of running) stopGroup(child);
    Deno.exit(130);
  });
}

/**
 * Runs one file; its "N passed | N failed" counts, a failure more when it did not finish. Its
 * output is streamed when it runs alone, else printed whole at its end.
 */
async function runFile(file: string, alone: boolean): Promise<{ passed: number; failed: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    // Type-checked once for all files below.
    args: [
      "test",
      "-A",
      "--no-check",
      ...unit ? [] : [`--coverage=${COVERAGE_DIR}`, "--coverage-raw-data-only"],
      ...flags,
      file,
    ],
    env,
    stdout: "piped",
    stderr: "inherit",
    // A process group of its own: a timeout stops the services and browsers the file started.
    detached: true,
  }).spawn();
  running.add(child);
  let timedOut = false;
  const watchdog = setTimeout(() => {
    timedOut = true;
    stopGroup(child);
  }, FILE_TIMEOUT_MS);
  let output = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    if (alone) await Deno.stdout.write(chunk);
    output += decoder.decode(chunk, { stream: true });
  }
  const { code } = await child.status;
  clearTimeout(watchdog);
  running.delete(child);
  if (!alone) await Deno.stdout.write(new TextEncoder().encode(output));

  // deno test's own summary: "ok | 12 passed (3 steps) | 0 failed (1m2s)".
  // deno-lint-ignore no-control-regex
  const clean = output.replace(/\x1b\[[0-9;]*m/g, "");
  const summary = [...clean.matchAll(/(\d+) passed.*?\| (\d+) failed/g)].at(-1);
  const passed = Number(summary?.[1] ?? 0);
  let failed = Number(summary?.[2] ?? 0);
  if (timedOut) console.log(`\n${file}: stopped after ${FILE_TIMEOUT_MS / 1000} s`);
  if (timedOut || (code !== 0 && failed === 0)) failed++;
  return { passed, failed };
}

let passed = 0;
let failed = 0;
const failedFiles: string[] = [];
if (files.length) {
  const check = await new Deno.Command(Deno.execPath(), {
    args: ["check", ...files],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!check.success) {
    console.log(`\n0 passed, ${files.length} failed`);
    Deno.exit(1);
  }
}
if (!unit) await Deno.remove(COVERAGE_DIR, { recursive: true }).catch(() => {});
const started = performance.now();
const tally = (file: string, result: { passed: number; failed: number }) => {
  passed += result.passed;
  failed += result.failed;
  if (result.failed) failedFiles.push(file);
};
const shared = files.filter((f) => !EXCLUSIVE.test(f));
const jobs = Math.min(JOBS, shared.length);
let next = 0;
await Promise.all(Array.from({ length: jobs }, async () => {
  while (next < shared.length) {
    const file = shared[next++];
    tally(file, await runFile(file, jobs === 1));
  }
}));
for (const file of files.filter((f) => EXCLUSIVE.test(f))) tally(file, await runFile(file, true));
for (const cleanup of cleanups) await cleanup().catch(() => {});

if (!unit) {
  const coverage = await new Deno.Command(Deno.execPath(), {
    args: ["coverage", COVERAGE_DIR, "--exclude=test|testing|node_modules|tools/"],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!coverage.success) console.error("coverage summary unavailable");
}

const seconds = Math.round((performance.now() - started) / 1000);
console.log(`\n${files.length} files in ${seconds} s; failed: ${failedFiles.join(", ") || "none"}`);
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(failed === 0 && files.length > 0 ? 0 : 1);
