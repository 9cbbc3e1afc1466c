/** How hard a run pushes: the quick profile runs inside `deno task test`, the long one on demand. */
export interface Profile {
  name: "quick" | "long";
  channels: number;
  publishers: number;
  subscribers: number;
  /** Publishes per second over all publishers. */
  ratePerSecond: number;
  /** Unacknowledged publishes per publisher at most. */
  inFlight: number;
  /** Load before the fault, and after recovery before the load stops. */
  warmupMs: number;
  afterMs: number;
  /** How many times each kill scenario kills (and restarts) its server. */
  kills: number;
  churnSockets: number;
  /** fast-check runs per property of the hostile-input scenario. */
  fuzzRuns: number;
}

export const PROFILES: Record<Profile["name"], Profile> = {
  quick: {
    name: "quick",
    channels: 3,
    publishers: 4,
    subscribers: 4,
    ratePerSecond: 150,
    inFlight: 20,
    warmupMs: 1_500,
    afterMs: 1_000,
    kills: 1,
    churnSockets: 1_000,
    fuzzRuns: 60,
  },
  long: {
    name: "long",
    channels: 5,
    publishers: 8,
    subscribers: 8,
    ratePerSecond: 400,
    inFlight: 50,
    warmupMs: 5_000,
    afterMs: 5_000,
    kills: 3,
    churnSockets: 5_000,
    fuzzRuns: 500,
  },
};

/** Service settings for the system under fault: rate limits high enough for the load. */
export const TOPOLOGY_ENV: Record<string, string> = {
  RATE_PER_SECOND: "2000",
  RATE_BURST: "4000",
  MAX_CONNECTIONS_PER_USER: "20",
  PERSIST_BATCH_SIZE: "64",
  // Every scenario opens new channels (the cluster's 20 each): whichever user subscribes first
  // creates them, past the default hourly quota of 30 within a run (RATE_LIMITED, now and then).
  CHANNELS_PER_USER_PER_HOUR: "10000",
};
