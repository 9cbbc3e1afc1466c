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
    fanoutRates: [500, 1_000, 1_500, 2_000, 3_000, 4_000, 5_000, 6_000, 8_000],
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
    fanoutRates: [500, 1_000, 1_500, 2_000, 3_000, 4_000, 5_000, 6_000, 8_000, 10_000],
    stepMs: 10_000,
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

/** What the issue asks for, on a 2-core machine. */
export const TARGETS = {
  fanoutMsgPerSec: 5_000,
  latencyP99DeliveryMs: 25,
  latencyP99AckMs: 10,
  /** Consumer RSS with the profile's idle sockets: the 2 GiB for 100,000 (full). */
  socketsRssMiB: { quick: 500, full: 2_048 },
  durableRatio: 0.5,
};
