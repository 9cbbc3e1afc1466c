/**
 * `deno task test:faults [--long] [scenario …]`: breaks the system on purpose and prints what was
 * lost. Exits 1 when any promise was broken. `--write-doc` puts the table into docs/RELIABILITY.md.
 */
import { PROFILES } from "./profiles.ts";
import { reportTable, violationsText } from "./report.ts";
import { CLUSTER_SCENARIOS, runSuite, SCENARIOS } from "./suite.ts";

const args = Deno.args.filter((a) => !a.startsWith("--"));
const profile = PROFILES[Deno.args.includes("--long") ? "long" : "quick"];
const known = [...SCENARIOS, ...CLUSTER_SCENARIOS].map(([name]) => name);
const unknown = args.filter((a) => !known.includes(a));
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(", ")}; known: ${known}`);
  Deno.exit(2);
}

const started = performance.now();
const results = [];
for (const cluster of [false, true]) {
  results.push(
    ...await runSuite(profile, {
      only: args.length ? args : undefined,
      log: (line) => console.error(line),
      cluster,
    }),
  );
}
const seconds = ((performance.now() - started) / 1000).toFixed(0);
const table = reportTable(results);
const notes = results.filter((r) => r.notes.length).map((r) =>
  `- ${r.scenario}: ${r.notes.join("; ")}`
)
  .join("\n");
console.log(
  `\n${profile.name} profile, ${seconds} s\n\n${table}\n\n${notes}\n\n${violationsText(results)}`,
);

if (Deno.args.includes("--write-doc")) {
  const path = new URL("../docs/RELIABILITY.md", import.meta.url);
  const doc = await Deno.readTextFile(path);
  const section = `<!-- faults:begin -->\n${profile.name} profile, ${
    new Date().toISOString().slice(0, 10)
  }, ${seconds} s on this machine:\n\n${table}\n\n${notes}\n<!-- faults:end -->`;
  await Deno.writeTextFile(
    path,
    doc.replace(/<!-- faults:begin -->[\s\S]*<!-- faults:end -->/, section),
  );
}
Deno.exit(results.every((r) => r.violations.length === 0) ? 0 : 1);
