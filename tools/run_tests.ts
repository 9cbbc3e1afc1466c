/**
 * `deno task test`: every test with coverage (service processes the tests spawn inherit
 * DENO_COVERAGE_DIR, so their code counts too), a coverage summary, and a closing
 * "N passed, N failed" line. Extra arguments go to `deno test` (e.g. a path or --filter).
 *
 * Tests use PostgreSQL on 127.0.0.1:5432 and NATS on 127.0.0.1:4222 when they answer (CI makes
 * sure they do). On a machine without them this starts an embedded PostgreSQL and, when the
 * `nats-server` binary is installed, a nats-server with JetStream, each on a free port.
 */
import { startEmbeddedPostgres } from "../shared/db/embedded.ts";
import { startNatsServer } from "../shared/testing/nats_server.ts";

const COVERAGE_DIR = "coverage/raw";

async function answers(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

const env: Record<string, string> = { DENO_COVERAGE_DIR: COVERAGE_DIR };
const cleanups: (() => Promise<void>)[] = [];
if (!Deno.env.get("TEST_PG_ADMIN_URL") && !await answers(5432)) {
  const dataDir = await Deno.makeTempDir({ prefix: "rtm-test-pg-" });
  const pg = await startEmbeddedPostgres({ dataDir: `${dataDir}/pg`, database: "postgres" });
  env.TEST_PG_ADMIN_URL = pg.url;
  cleanups.push(async () => {
    await pg.stop();
    await Deno.remove(dataDir, { recursive: true });
  });
  console.error(`no PostgreSQL on 127.0.0.1:5432: using an embedded one on port ${pg.port}`);
}
if (!Deno.env.get("TEST_NATS_URL") && !await answers(4222)) {
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

await Deno.remove(COVERAGE_DIR, { recursive: true }).catch(() => {});
const test = new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", `--coverage=${COVERAGE_DIR}`, ...Deno.args],
  env,
  stdout: "piped",
  stderr: "inherit",
}).spawn();

let output = "";
const decoder = new TextDecoder();
for await (const chunk of test.stdout) {
  await Deno.stdout.write(chunk);
  output += decoder.decode(chunk, { stream: true });
}
const { code } = await test.status;
for (const cleanup of cleanups) await cleanup().catch(() => {});

// deno test's own summary: "ok | 12 passed (3 steps) | 0 failed (1m2s)".
// deno-lint-ignore no-control-regex
const clean = output.replace(/\x1b\[[0-9;]*m/g, "");
const summary = [...clean.matchAll(/(\d+) passed.*?\| (\d+) failed/g)].at(-1);
const passed = Number(summary?.[1] ?? 0);
const failed = Number(summary?.[2] ?? (code === 0 ? 0 : 1));

const coverage = await new Deno.Command(Deno.execPath(), {
  args: ["coverage", COVERAGE_DIR, "--exclude=test|testing|node_modules|tools/"],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (!coverage.success) console.error("coverage summary unavailable");

console.log(`\n${passed} passed, ${failed} failed`);
Deno.exit(code === 0 && failed === 0 ? 0 : 1);
