import assert from "node:assert/strict";
import { startDistributed } from "../testing/system.ts";

const TOKEN = "a-scraper-secret-of-some-length";

/** Issue #14: `/metrics` was open to anyone who reached a service. */
Deno.test("metrics: with METRICS_TOKEN every service asks the scraper for it", async () => {
  const system = await startDistributed({ env: { METRICS_TOKEN: TOKEN } });
  try {
    for (const base of [system.authUrl, system.producerUrl, system.consumerUrls[0]]) {
      const scrape = async (authorization?: string) => {
        const res = await fetch(`${base}/metrics`, {
          headers: authorization ? { authorization } : {},
        });
        return { status: res.status, body: await res.text() };
      };
      for (const bad of [undefined, "Bearer wrong", `Bearer ${TOKEN}x`, TOKEN]) {
        const res = await scrape(bad);
        assert.equal(res.status, 401, `${base} with ${bad}`);
        assert.match(res.body, /UNAUTHENTICATED/);
      }
      const ok = await scrape(`Bearer ${TOKEN}`);
      assert.equal(ok.status, 200);
      assert.match(ok.body, /process_cpu_seconds_total/);
      // The rest of the operational surface is unchanged.
      const health = await fetch(`${base}/health`);
      await health.body?.cancel();
      assert.equal(health.status, 200);
    }
  } finally {
    await system.stop();
  }
});
