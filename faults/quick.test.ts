import assert from "node:assert/strict";
import { PROFILES } from "./profiles.ts";
import { reportTable, violationsText } from "./report.ts";
import { runSuite, SCENARIOS } from "./suite.ts";

// The quick profile of the fault suite, so `deno task test` (and .ci/run) breaks the system on
// purpose every run. The long profile: `deno task test:faults --long`.
Deno.test("fault suite (quick): nothing acknowledged is lost or duplicated", async () => {
  const results = await runSuite(PROFILES.quick, { log: (line) => console.log(line) });
  console.log(`\n${reportTable(results)}\n`);
  assert.deepEqual(results.map((r) => r.scenario), SCENARIOS.map(([name]) => name));
  for (const r of results) {
    assert.ok(r.acked > 0, `${r.scenario}: the load got no ack at all`);
    assert.equal(r.stored, r.acked, `${r.scenario}: acked but not stored`);
    assert.equal(r.lost, 0, `${r.scenario}: lost messages`);
    assert.equal(r.duplicated, 0, `${r.scenario}: duplicated messages`);
  }
  for (const r of results.slice(0, 4)) {
    assert.ok(r.recoverMs !== undefined, `${r.scenario}: never recovered`);
  }
  assert.equal(results.filter((r) => r.violations.length).length, 0, violationsText(results));
});
