/**
 * `deno run -A bench/persist_model.ts [--tree=/path/to/another/checkout] [--rates=1000,4000]`:
 * the persist path alone, in one process, with its CPU counted rather than its latency timed (on
 * a shared machine latency says more about the neighbours). The real `PersistService` and
 * `PgMessageStore` of `--tree` (default: this one) on a fresh migrated database on the shared
 * PostgreSQL, fed by the in-process broker's 16 partitions at a fixed rate over 20 channels.
 * Prints per rate: transactions per second and rows per transaction, PostgreSQL backend and
 * this process's CPU per message (from /proc), and append→delivery p50/p99. An A/B tool for
 * bench/NOTES.md (fix 21); not part of `deno task bench`. The database's backends get this
 * process's nice value: under `nice -n -10` both get the CPU first on a machine others load.
 */
import { LatencyHistogram } from "./histogram.ts";

const arg = (name: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const tree = new URL(`${arg("tree") ?? new URL("..", import.meta.url).pathname}/`, "file:///");
const rates = (arg("rates") ?? "1000,4000").split(",").map(Number);
const STEP_MS = Number(arg("ms") ?? 8_000);
const CHANNELS = 20;
const PARTITIONS = 16;

const { InProcessBroker } = await import(new URL("shared/broker/memory.ts", tree).href);
const { PersistService } = await import(
  new URL("consumer/internal/domain/services/persist_service.ts", tree).href
);
const { PgMessageStore } = await import(
  new URL("consumer/internal/adapters/outbound/pg_message_store.ts", tree).href
);
const { withMigratedDatabase, TEST_PG_ADMIN_URL } = await import(
  new URL("shared/testing/infra.ts", tree).href
);
const { connectPostgres } = await import(new URL("shared/db/postgres.ts", tree).href);
// --async-commit: the store's commits do not wait for the WAL flush (to see what that costs).
const asyncCommit = Deno.args.includes("--async-commit");
const { createLogger } = await import(new URL("shared/logging/logger.ts", tree).href);

/** utime + stime of a process, in seconds (clock ticks of 10 ms). */
async function cpuSeconds(pid: number | "self"): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100;
}

type Sql =
  & ((strings: TemplateStringsArray, ...v: unknown[]) => Promise<Record<string, unknown>[]>)
  & {
    unsafe(query: string): Promise<unknown>;
  };

await withMigratedDatabase(async (sql: Sql) => {
  const [user] = await sql`
    insert into users (email, password_hash, display_name) values ('m@example.com', 'x', 'm')
    returning id`;
  const channels = Array.from({ length: CHANNELS }, (_, i) => `model-${i}`);
  for (const c of channels) await sql`insert into channels (id, kind) values (${c}, 'public')`;
  const backends = async () =>
    (await sql`select pid from pg_stat_activity where datname = current_database()`)
      .map((r) => Number(r.pid));

  const broker = new InProcessBroker(120_000, undefined, PARTITIONS);
  const [{ db }] = await sql`select current_database() as db`;
  if (asyncCommit) await sql.unsafe(`alter database ${db} set synchronous_commit = off`);
  const url = new URL(TEST_PG_ADMIN_URL);
  url.pathname = `/${db}`;
  const pool = connectPostgres(url.toString(), { max: 4 });
  const real = new PgMessageStore(pool);
  let storeTimes = new LatencyHistogram();
  let transactions = 0;
  let rows = 0;
  const store = Object.assign(Object.create(real), {
    storeBatch: async (messages: unknown[], ...rest: unknown[]) => {
      transactions++;
      rows += messages.length;
      const began = performance.now();
      try {
        return await real.storeBatch(messages, ...rest);
      } finally {
        storeTimes.recordMs(performance.now() - began);
      }
    },
  });
  const sent = new Map<string, number>();
  let histogram = new LatencyHistogram();
  for (const c of channels) {
    broker.delivery.follow(c, (m: { id: string }) => {
      const at = sent.get(m.id);
      if (at !== undefined) histogram.recordMs(performance.now() - at);
      sent.delete(m.id);
    });
  }
  const noop = () => {};
  const persist = new PersistService(
    broker.log,
    broker.ownership,
    store,
    broker.delivery,
    broker.deadLetters,
    { batchSize: 256, concurrency: Number(arg("concurrency") ?? 2) },
    { batchStored: noop, deadLettered: noop, storeFailed: noop, partitionsOwned: noop },
    createLogger({ service: "persist-model" }),
  );
  const stop = new AbortController();
  const running = persist.run(stop.signal);
  let n = 0;
  const publishFor = async (rate: number, ms: number) => {
    const began = performance.now();
    let due = 0;
    while (performance.now() - began < ms) {
      const target = Math.floor(((performance.now() - began) / 1000) * rate);
      for (; due < target; due++) {
        const id = crypto.randomUUID();
        const message = {
          id,
          channel: channels[n % CHANNELS],
          clientMsgId: `m${n++}`,
          sender: user.id,
          body: "x".repeat(128),
          sentAt: new Date().toISOString(),
        };
        sent.set(id, performance.now());
        void broker.log.append(
          message,
          `${message.sender}:${message.channel}:${message.clientMsgId}`,
        );
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    // Bounded drain: every message stored and delivered, or 30 s.
    for (let i = 0; i < 300 && sent.size > 0; i++) await new Promise((r) => setTimeout(r, 100));
  };
  for (const rate of rates) {
    await publishFor(rate, 1_000); // warm-up at the same rate
    histogram = new LatencyHistogram();
    storeTimes = new LatencyHistogram();
    transactions = rows = 0;
    const pids = await backends();
    const nice = (await Deno.readTextFile("/proc/self/stat")).split(") ")[1].split(" ")[16];
    await new Deno.Command("renice", {
      args: ["-n", nice, "-p", ...pids.map(String)],
      stdout: "null",
    })
      .output();
    const pgBefore = (await Promise.all(pids.map(cpuSeconds))).reduce((a, b) => a + b, 0);
    const selfBefore = await cpuSeconds("self");
    const messagesBefore = n;
    await publishFor(rate, STEP_MS);
    const messages = n - messagesBefore;
    const pg = (await Promise.all(pids.map(cpuSeconds))).reduce((a, b) => a + b, 0) - pgBefore;
    const self = (await cpuSeconds("self")) - selfBefore;
    const l = histogram.summary();
    console.log(
      `${rate} msg/s: ${Math.round(transactions / (STEP_MS / 1000))} tx/s, store p50 ` +
        `${storeTimes.summary().p50} p99 ${storeTimes.summary().p99} ms, ` +
        `${(rows / transactions).toFixed(1)} rows/tx, PostgreSQL ${
          Math.round((pg / messages) * 1e6)
        } µs/msg, ` +
        `this process ${
          Math.round((self / messages) * 1e6)
        } µs/msg, append→delivery p50 ${l.p50} ` +
        `p99 ${l.p99} ms (n=${l.count}, undelivered ${sent.size}), load ${Deno.loadavg()[0]}`,
    );
  }
  stop.abort();
  await running;
  await pool.end();
});
