/** CPU time of processes from /proc, to say which process limited a step. */
const TICKS_PER_SECOND = 100;

export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0; // gone
  }
}

/** Every pid whose command name is `comm` (e.g. all PostgreSQL backends). */
async function pidsNamed(comm: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const name = await Deno.readTextFile(`/proc/${e.name}/comm`).catch(() => "");
    if (name.trim() === comm) pids.push(Number(e.name));
  }
  return pids;
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
async function machineBusySeconds(): Promise<number> {
  const line = (await Deno.readTextFile("/proc/stat")).split("\n")[0];
  const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

export interface CpuGroups {
  [group: string]: { pids?: number[]; comm?: string };
}

/**
 * Starts a CPU meter over named groups; `stop()` gives each group's use in % of one core, plus
 * `machine`: everything on the machine, so what other tenants took shows as the difference.
 */
export async function cpuMeter(groups: CpuGroups): Promise<{
  stop(): Promise<Record<string, number>>;
}> {
  const resolve = async (g: CpuGroups[string]) => g.pids ?? await pidsNamed(g.comm!);
  // Per pid, so a process that exits during the window is left out rather than counted negative.
  const sample = async () => {
    const out: Record<string, Map<number, number>> = {};
    for (const [name, g] of Object.entries(groups)) {
      out[name] = new Map();
      for (const pid of await resolve(g)) out[name].set(pid, await cpuSeconds(pid));
    }
    return out;
  };
  const before = await sample();
  const machineBefore = await machineBusySeconds();
  const started = performance.now();
  return {
    stop: async () => {
      const after = await sample();
      const machine = await machineBusySeconds() - machineBefore;
      const seconds = (performance.now() - started) / 1000;
      const out: Record<string, number> = {};
      for (const k of Object.keys(groups)) {
        let used = 0;
        for (const [pid, s] of after[k]) used += Math.max(0, s - (before[k].get(pid) ?? 0));
        out[k] = Math.round((used / seconds) * 100);
      }
      out.machine = Math.round((machine / seconds) * 100);
      return out;
    },
  };
}
