import { assertQuickSuiteHolds } from "./quick_check.ts";

// The quick profile of the fault suite, so `deno task test` (and .ci/run) breaks the system on
// purpose every run. The long profile: `deno task test:faults --long`.
Deno.test("fault suite (quick): nothing acknowledged is lost or duplicated", async () => {
  await assertQuickSuiteHolds({ cluster: false });
});
