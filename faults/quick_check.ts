import assert from "node:assert/strict";
import { PROFILES } from "./profiles.ts";
import { reportTable, violationsText } from "./report.ts";
import { CLUSTER_SCENARIOS, runSuite, SCENARIOS } from "./suite.ts";

/** Scenarios that break nothing to heal, so they time no recovery. */
const NOTHING_TO_HEAL = new Set(["churn", "hostile-input"]);

/**
 * Runs the quick profile on one topology and fails on anything lost, duplicated, unrecovered or
 * otherwise violated, printing the table either way.
 */
export async function assertQuickSuiteHolds(opts: { cluster: boolean }): Promise<void> {
  const results = await runSuite(PROFILES.quick, { log: (line) => console.log(line), ...opts });
  console.log(`\n${reportTable(results)}\n`);
  const scenarios = opts.cluster ? CLUSTER_SCENARIOS : SCENARIOS;
  assert.deepEqual(results.map((r) => r.scenario), scenarios.map(([name]) => name));
  // A scenario that broke says why in its violations: show them before any count.
  const failed = results.filter((r) =>
    r.violations.some((v) => v.startsWith("the scenario failed"))
  );
  assert.deepEqual(failed, [], violationsText(failed));
  for (const r of results) {
    assert.ok(r.acked > 0, `${r.scenario}: the load got no ack at all`);
    assert.ok(r.events > 0, `${r.scenario}: no edit, delete or reaction was acked`);
    assert.equal(r.stored, r.acked, `${r.scenario}: acked but not stored`);
    assert.equal(r.lost, 0, `${r.scenario}: lost messages`);
    assert.equal(r.duplicated, 0, `${r.scenario}: duplicated messages`);
    if (!NOTHING_TO_HEAL.has(r.scenario)) {
      assert.ok(r.recoverMs !== undefined, `${r.scenario}: never recovered`);
    }
  }
  assert.equal(results.filter((r) => r.violations.length).length, 0, violationsText(results));
}
