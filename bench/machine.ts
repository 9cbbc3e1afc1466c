import { connect } from "@nats-io/transport-node";
import { connectPostgres } from "../shared/db/postgres.ts";

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  deno: string;
  v8: string;
  nats: string;
  postgres: string;
  loadAverage: number[];
}

/** What the figures were measured on, and how busy the machine already was. */
export async function describeMachine(natsUrl: string, databaseUrl: string): Promise<Machine> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const nc = await connect({ servers: natsUrl });
  const nats = nc.info?.version ?? "?";
  await nc.close();
  const sql = connectPostgres(databaseUrl, { max: 1 });
  const [{ server_version }] = await sql<{ server_version: string }[]>`show server_version`;
  await sql.end();
  return {
    date: new Date().toISOString(),
    cpu: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? "?",
    cores: navigator.hardwareConcurrency,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 1024 ** 3),
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    nats,
    postgres: server_version,
    loadAverage: Deno.loadavg(),
  };
}
