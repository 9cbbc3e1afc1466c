import assert from "node:assert/strict";
import { PROFILES } from "./profiles.ts";
import { reportTable, violationsText } from "./report.ts";
import { CLUSTER_SCENARIOS, runSuite } from "./suite.ts";

// The scale-out topology of the fault suite (its own file: each file gets its own time bound).
Deno.test("fault suite (quick, 3-node NATS cluster): consumers killed in turn, the stream leader killed", async () => {
  const results = await runSuite(PROFILES.quick, {
    log: (line) => console.log(line),
    cluster: true,
  });
  console.log(`\n${reportTable(results)}\n`);
  assert.deepEqual(results.map((r) => r.scenario), CLUSTER_SCENARIOS.map(([name]) => name));
  for (const r of results) {
    assert.ok(r.acked > 0, `${r.scenario}: the load got no ack at all`);
    assert.equal(r.stored, r.acked, `${r.scenario}: acked but not stored`);
    assert.equal(r.lost, 0, `${r.scenario}: lost messages`);
    assert.equal(r.duplicated, 0, `${r.scenario}: duplicated messages`);
    assert.ok(r.recoverMs !== undefined, `${r.scenario}: never recovered`);
  }
  assert.equal(results.filter((r) => r.violations.length).length, 0, violationsText(results));
});
