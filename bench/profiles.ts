import type { Topology } from "./fanout.ts";

/** How big and how long each scenario runs: `quick` fits in under 3 minutes. */
export interface Profile {
  name: "quick" | "full";
  topology: Topology;
  fanoutRates: number[];
  stepMs: number;
  graceMs: number;
  latencyRate: number;
  latencyMs: number;
  sockets: number;
  broadcasts: number;
  coreMessages: number;
  durableMessages: number;
  persistBatch: number;
  /** msg/s of the cluster scenario (fan-out 10), the same on 1, 2 and 3 consumer instances. */
  clusterRate: number;
}

const topology: Topology = {
  publishers: 4,
  channels: 20,
  subscribersPerChannel: 10,
  bodyBytes: 128,
};

export const PROFILES: Record<Profile["name"], Profile> = {
  quick: {
    name: "quick",
    topology,
    fanoutRates: [1_000, 2_000, 4_000, 6_000, 8_000, 12_000, 16_000, 20_000],
    stepMs: 3_000,
    graceMs: 2_000,
    latencyRate: 1_000,
    latencyMs: 5_000,
    sockets: 10_000,
    broadcasts: 3,
    coreMessages: 20_000,
    durableMessages: 10_000,
    persistBatch: 256,
    clusterRate: 1_000,
  },
  full: {
    name: "full",
    topology,
    // Four ramps in one run (ours distributed and single node, two peers): 7 steps of 8 s keep
    // the whole run near 10 minutes when every step up to 20,000 msg/s is sustained.
    fanoutRates: [1_000, 2_000, 4_000, 8_000, 12_000, 15_000, 20_000],
    stepMs: 8_000,
    graceMs: 3_000,
    latencyRate: 1_000,
    latencyMs: 20_000,
    sockets: 100_000,
    broadcasts: 10,
    coreMessages: 200_000,
    durableMessages: 50_000,
    persistBatch: 256,
    clusterRate: 2_000,
  },
};

/** What issue #16 asks for, on a 2-core machine, in one run with the peers. */
export const TARGETS = {
  /** Fan-out 10, persisted and delivered: `deno task start`'s one process, and distributed. */
  fanoutMsgPerSec: { singleNode: 20_000, distributed: 12_000 },
  latencyP99DeliveryMs: 5,
  latencyP99AckMs: 3,
  /** One message to 10,000 sockets (in proportion for another count: the cost is per socket). */
  broadcastP99MsPer10k: 50,
  /** Consumer RSS with the profile's idle sockets: the 2 GiB for 100,000 (full). */
  socketsRssMiB: { quick: 500, full: 2_048 },
  durableRatio: 0.5,
};
