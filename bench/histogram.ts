import * as hdr from "hdr-histogram-js";

/** Latency percentiles in milliseconds, as every scenario reports them. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * An HDR histogram of latencies recorded in microseconds (1 µs to 10 min, 3 significant digits),
 * reported in milliseconds.
 */
export class LatencyHistogram {
  private readonly h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });

  recordMs(ms: number): void {
    this.h.recordValue(Math.max(1, Math.min(600_000_000, Math.round(ms * 1000))));
  }

  get count(): number {
    return this.h.totalCount;
  }

  summary(): LatencySummary {
    const at = (p: number) => round(this.h.getValueAtPercentile(p) / 1000);
    return {
      count: this.h.totalCount,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      max: round(this.h.maxValue / 1000),
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
