import { assertQuickSuiteHolds } from "./quick_check.ts";

// The scale-out topology of the fault suite, in a file of its own: each file gets its own time
// bound. Consumer instances killed in turn, then the stream's leader node.
Deno.test("fault suite (quick, 3-node NATS cluster): nothing acknowledged is lost, duplicated or reordered", async () => {
  await assertQuickSuiteHolds({ cluster: true });
});
