/** CPU time of processes from /proc, to say which process limited a step. */
const TICKS_PER_SECOND = 100;

async function cpuSeconds(pid: number): Promise<number> {
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

export interface CpuGroups {
  [group: string]: { pids?: number[]; comm?: string };
}

/** Starts a CPU meter over named groups; `stop()` gives each group's use in % of one core. */
export async function cpuMeter(groups: CpuGroups): Promise<{
  stop(): Promise<Record<string, number>>;
}> {
  const resolve = async (g: CpuGroups[string]) => g.pids ?? await pidsNamed(g.comm!);
  const sample = async () => {
    const out: Record<string, number> = {};
    for (const [name, g] of Object.entries(groups)) {
      let s = 0;
      for (const pid of await resolve(g)) s += await cpuSeconds(pid);
      out[name] = s;
    }
    return out;
  };
  const before = await sample();
  const started = performance.now();
  return {
    stop: async () => {
      const after = await sample();
      const seconds = (performance.now() - started) / 1000;
      return Object.fromEntries(
        Object.keys(groups).map((k) => [k, Math.round(((after[k] - before[k]) / seconds) * 100)]),
      );
    },
  };
}
