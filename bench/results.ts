/** What one benchmark run measured: written as JSON, rendered by report.ts. */
import type { CoreCeiling, DurableCeiling } from "./ceilings.ts";
import type { ClusterStep } from "./cluster.ts";
import type { ConnectionsResult } from "./connections.ts";
import type { DurableResult } from "./durable.ts";
import type { StepResult } from "./fanout.ts";
import type { Machine } from "./machine.ts";
import type { PeerResult } from "./peers.ts";
import type { Profile } from "./profiles.ts";

export interface TargetCheck {
  name: string;
  value: number | null;
  target: string;
  met: boolean;
}

export type MeasuredStep = StepResult & { cpu: Record<string, number> };
export interface Ramp {
  steps: MeasuredStep[];
  bestRate: number;
  bestDeliveryRate: number;
}

export interface BenchResults {
  profile: Profile;
  machine: Machine;
  durationSeconds: number;
  ceilings: { core?: CoreCeiling; durable?: DurableCeiling };
  fanout?: Ramp;
  /** The same fan-out ramp against `deno task start`'s one process (in-process broker). */
  singleNode?: Ramp;
  durable?: DurableResult & { cpu: Record<string, number> };
  latency?: MeasuredStep;
  connections?: ConnectionsResult;
  cluster?: ClusterStep[];
  /** The same workload against non-durable peers (bench/peers/), each with its own ledger. */
  peers?: PeerResult[];
  correctness: { violations: number; examples: string[]; publishErrors: number };
  failures: string[];
  targets: TargetCheck[];
  ok: boolean;
}
