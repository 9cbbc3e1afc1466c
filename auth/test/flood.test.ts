import assert from "node:assert/strict";
import { createTestDatabase, freePort, spawnService } from "../../shared/testing/infra.ts";
import { type Json, PASSWORD, postJson, uniqueEmail } from "./harness.ts";

const MiB = 1024 * 1024;

/** A line of /proc/<pid>/status in bytes: VmRSS (now) or VmHWM (the peak so far). */
async function procStatus(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(status.match(new RegExp(`${field}:\\s+(\\d+) kB`))![1]) * 1024;
}

/**
 * The auth process as deployed (its own process, default scrypt cost N=2^17 — 128 MiB a hash —
 * and default bounds), behind a trusted proxy so each request can come from an address of its
 * own: the flood is the distributed one a per-IP throttle cannot stop.
 */
Deno.test("auth under floods: throttle holds under concurrency; 64 logins stay under 600 MiB with /health answering", async (t) => {
  const db = await createTestDatabase();
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "rtm-auth-flood-" });
  const auth = await spawnService(
    "auth/src/main.ts",
    {
      DATABASE_URL: db.url,
      AUTH_HTTP_PORT: String(port),
      AUTH_GRPC_PORT: String(freePort()),
      AUTH_KEY_FILE: `${dir}/signing-key.json`,
      TRUSTED_PROXIES: "127.0.0.1/32",
      LOG_LEVEL: "warn",
    },
    `http://127.0.0.1:${port}/health`,
    port,
  );
  const url = `http://127.0.0.1:${port}`;
  const pid = auth.child.pid;
  let n = 0;
  const login = (email: string, password: string) =>
    postJson(`${url}/v1/auth/login`, { email, password }, {
      "x-forwarded-for": `198.51.${(++n >> 8) & 255}.${n & 255}`,
    });
  const tally = (rs: { status: number; body: Json }[]) => {
    const by: Record<number, number> = {};
    for (const r of rs) by[r.status] = (by[r.status] ?? 0) + 1;
    return by;
  };
  try {
    await t.step(
      "40 concurrent wrong passwords for one account: 10 tried, 30 throttled",
      async () => {
        const email = uniqueEmail();
        assert.equal(
          (await postJson(`${url}/v1/auth/register`, { email, password: PASSWORD })).status,
          201,
        );
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) => login(email, `wrong password ${i}`)),
        );
        const by = tally(results);
        console.log(`40 concurrent wrong passwords, one account: ${JSON.stringify(by)}`);
        assert.deepEqual(by, { 401: 10, 429: 30 });
        assert.ok(
          results.filter((r) => r.status === 429).every((r) =>
            r.body.error.code === "RATE_LIMITED"
          ),
        );
        // The right password waits too: the guesser learns nothing more.
        assert.equal((await login(email, PASSWORD)).status, 429);
      },
    );

    await t.step("64 concurrent logins: bounded memory, /health keeps answering", async () => {
      let flooding = true;
      let peak = await procStatus(pid, "VmRSS");
      const sampling = (async () => {
        while (flooding) {
          peak = Math.max(peak, await procStatus(pid, "VmRSS"));
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const health: number[] = [];
      const probing = (async () => {
        while (flooding) {
          const started = performance.now();
          const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
          await res.body?.cancel();
          assert.equal(res.status, 200);
          health.push(performance.now() - started);
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 64 }, () => login(uniqueEmail(), "wrong password")),
      );
      const elapsed = performance.now() - started;
      flooding = false;
      await Promise.all([sampling, probing]);
      const hwm = await procStatus(pid, "VmHWM");
      const by = tally(results);
      console.log(
        `64 concurrent logins in ${Math.round(elapsed)} ms: ${JSON.stringify(by)}; auth RSS peak ` +
          `${Math.round(peak / MiB)} MiB sampled, ${Math.round(hwm / MiB)} MiB VmHWM; /health ` +
          `${health.length} probes, slowest ${Math.round(Math.max(...health))} ms`,
      );
      // Each was hashed (401, at most 2 at a time) or refused at once for capacity (429).
      assert.equal((by[401] ?? 0) + (by[429] ?? 0), 64, JSON.stringify(by));
      assert.ok(by[429] > 0 && by[401] >= 18, JSON.stringify(by));
      assert.ok(peak < 600 * MiB, `RSS peak ${peak / MiB} MiB`);
      assert.ok(hwm < 600 * MiB, `VmHWM ${hwm / MiB} MiB`);
      assert.ok(health.length >= 3, `${health.length} health probes during the flood`);
      assert.ok(Math.max(...health) < 1_000, `slowest /health ${Math.max(...health)} ms`);
    });
  } finally {
    await auth.stop();
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
