import type { ScenarioResult } from "./reconcile.ts";

const COLUMNS = [
  "scenario",
  "sent",
  "acked",
  "events",
  "stored",
  "delivered",
  "lost",
  "duplicated",
  "time to recover",
] as const;

function cells(r: ScenarioResult): string[] {
  const recover = r.recoverMs === undefined ? "—" : `${(r.recoverMs / 1000).toFixed(2)} s`;
  return [
    r.scenario,
    r.sent,
    r.acked,
    r.events,
    r.stored,
    r.delivered,
    r.lost,
    r.duplicated,
    recover,
  ].map(String);
}

/** The run's results as a Markdown table (printed, and kept in docs/RELIABILITY.md). */
export function reportTable(results: ScenarioResult[]): string {
  const rows = [COLUMNS.slice() as string[], ...results.map(cells)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join(" | ")} |`;
  const rule = `| ${
    widths.map((w, i) => i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":").join(" | ")
  } |`;
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join("\n");
}

/** Every violation under its scenario, or a line saying there were none. */
export function violationsText(results: ScenarioResult[]): string {
  const failed = results.filter((r) => r.violations.length);
  if (!failed.length) return "no violations: nothing acknowledged was lost or duplicated";
  return failed.map((r) => `${r.scenario}:\n  ${r.violations.slice(0, 20).join("\n  ")}`).join(
    "\n",
  );
}
