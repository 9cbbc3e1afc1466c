import postgres from "postgres";
import { registerAndLogin } from "../shared/testing/infra.ts";
import type { LoadUser } from "./load_client.ts";
import type { Profile } from "./profiles.ts";
import { TOPOLOGY_ENV } from "./profiles.ts";
import type { ScenarioResult } from "./reconcile.ts";
import { type FaultOutcome, type RunningLoad, runScenario, type SuiteContext } from "./scenario.ts";
import { churn } from "./scenarios/churn.ts";
import { hostileInput } from "./scenarios/hostile.ts";
import {
  killConsumer,
  killConsumersInTurn,
  killNatsLeader,
  killProducer,
  stopNats,
  stopPostgres,
} from "./scenarios/outages.ts";
import { CLUSTER, type Shape, SINGLE_SERVER, startTopology } from "./topology.ts";

type Scenario = [string, (ctx: SuiteContext, running: RunningLoad) => Promise<FaultOutcome>];

/** On one nats-server, one producer, two consumer instances. */
export const SCENARIOS: Scenario[] = [
  ["producer-sigkill", killProducer],
  ["consumer-sigkill", killConsumer],
  ["nats-stop-5s", stopNats],
  ["postgres-stop-10s", stopPostgres],
  ["churn", churn],
  ["hostile-input", hostileInput],
];

/** Scale-out: a 3-node JetStream cluster (R3), two producers, three consumer instances. */
export const CLUSTER_SCENARIOS: Scenario[] = [
  ["consumers-sigkill-in-turn", killConsumersInTurn],
  ["nats-leader-sigkill", killNatsLeader],
];

/** The cluster runs spread 20 channels over the partitions, each with a publisher of its own. */
const CLUSTER_CHANNELS = 20;

const USERS = 12;
const LOAD_PASSWORD = "fault suite load";

export type SuiteResult = ScenarioResult & { notes: string[] };

/**
 * Starts the system under fault once and runs each scenario on channels of its own, so one
 * topology serves the whole run. `only` picks scenarios by name.
 */
export async function runSuite(
  baseProfile: Profile,
  opts: { only?: string[]; log?: (line: string) => void; cluster?: boolean } = {},
): Promise<SuiteResult[]> {
  const log = opts.log ?? (() => {});
  const shape: Shape = opts.cluster ? CLUSTER : SINGLE_SERVER;
  const profile = opts.cluster
    ? { ...baseProfile, channels: CLUSTER_CHANNELS, publishers: CLUSTER_CHANNELS }
    : baseProfile;
  const scenarios = opts.cluster ? CLUSTER_SCENARIOS : SCENARIOS;
  if (!scenarios.some(([name]) => !opts.only || opts.only.includes(name))) return [];
  const topology = await startTopology(TOPOLOGY_ENV, shape);
  const sql = postgres(topology.databaseUrl, { max: 2, onnotice: () => {} });
  try {
    const users: LoadUser[] = [];
    for (let i = 0; i < USERS; i++) {
      const email = `load-${crypto.randomUUID()}@example.com`;
      const { token } = await registerAndLogin(topology.system.authUrl, email, LOAD_PASSWORD);
      users.push({ email, password: LOAD_PASSWORD, accessToken: token });
    }
    const ctx: SuiteContext = { topology, profile, sql, users };
    const results: SuiteResult[] = [];
    for (const [name, fault] of scenarios) {
      if (opts.only && !opts.only.includes(name)) continue;
      const started = performance.now();
      const result = await runScenario(ctx, name, (running) => fault(ctx, running)).catch(
        (err): SuiteResult => ({
          scenario: name,
          sent: 0,
          acked: 0,
          events: 0,
          stored: 0,
          delivered: 0,
          lost: 0,
          duplicated: 0,
          violations: [`the scenario failed: ${err.stack ?? err}`, ...topology.unexpectedExits()],
          notes: [],
        }),
      );
      log(
        `${name}: ${result.acked} acked, ${result.lost} lost, ${result.duplicated} duplicated, ` +
          `${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      results.push(result);
    }
    return results;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
    await topology.stop();
  }
}
