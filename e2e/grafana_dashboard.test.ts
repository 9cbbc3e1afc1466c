import assert from "node:assert/strict";
import { startDistributed } from "../shared/testing/system.ts";

const DASHBOARD = new URL("../docs/grafana/rtm.json", import.meta.url);

interface Panel {
  title?: string;
  targets?: { expr: string }[];
}

/** The metric names a PromQL expression reads (functions, labels and keywords are not metrics). */
function metricNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}|\[[^\]]*\]|\bby\s*\([^)]*\)/g, "");
  const words = withoutLabels.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  const notMetrics = new Set(["sum", "rate", "max", "histogram_quantile"]);
  return words.filter((w) => !notMetrics.has(w) && !w.startsWith("$"));
}

/** A /metrics page's families and the series names each can hold (a histogram's derived ones). */
function exportedFamilies(page: string): Map<string, string[]> {
  const families = new Map<string, string[]>();
  for (const [, name, type] of page.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const derived = type === "histogram" ? ["_bucket", "_sum", "_count"].map((s) => name + s) : [];
    families.set(name, [name, ...derived]);
  }
  return families;
}

Deno.test("grafana dashboard: every metric it queries is exported by a running service", async () => {
  const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD)) as { panels: Panel[] };
  const queried = new Map<string, string>();
  for (const panel of dashboard.panels) {
    for (const t of panel.targets ?? []) {
      for (const name of metricNames(t.expr)) queried.set(name, panel.title ?? "?");
    }
  }
  assert.ok(queried.size >= 15, `the dashboard queries ${queried.size} metrics`);

  const system = await startDistributed();
  try {
    const families = new Map<string, string[]>();
    for (const base of [system.authUrl, system.producerUrl, ...system.consumerUrls]) {
      const res = await fetch(`${base}/metrics`);
      assert.equal(res.status, 200);
      for (const [family, series] of exportedFamilies(await res.text())) {
        families.set(family, series);
      }
    }
    const exported = new Set([...families.values()].flat());
    const missing = [...queried].filter(([name]) => !exported.has(name));
    assert.deepEqual(missing, [], "metrics the dashboard queries that no service exports");
    // And the other way round: every rtm_ metric a service defines has a panel.
    const unshown = [...families].filter(([family, series]) =>
      family.startsWith("rtm_") && !series.some((s) => queried.has(s))
    ).map(([family]) => family);
    assert.deepEqual(unshown, [], "rtm_ metrics no panel shows");
  } finally {
    await system.stop();
  }
});
