import client from "prom-client";

export type { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * One Prometheus registry per service, so the single-node process still serves each service's
 * own `/metrics`. Process metrics (RSS, event-loop lag, GC, and pending timers as
 * `nodejs_active_resources{type="Timeout"}`) are included.
 */
export function createRegistry(service: string): client.Registry {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service });
  client.collectDefaultMetrics({ register: registry });
  return registry;
}

export const metric = {
  counter: <L extends string>(
    registry: client.Registry,
    name: string,
    help: string,
    labelNames: readonly L[] = [],
  ) => new client.Counter<L>({ name, help, labelNames, registers: [registry] }),
  gauge: <L extends string>(
    registry: client.Registry,
    name: string,
    help: string,
    labelNames: readonly L[] = [],
  ) => new client.Gauge<L>({ name, help, labelNames, registers: [registry] }),
  /** A gauge read at scrape time, for values a service already tracks (or can ask for). */
  observed: (
    registry: client.Registry,
    name: string,
    help: string,
    read: () => number | Promise<number>,
  ) =>
    new client.Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(await read());
      },
    }),
  /** A counter read at scrape time from a running total the service keeps anyway. */
  observedTotal: (registry: client.Registry, name: string, help: string, read: () => number) =>
    new client.Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    }),
  /** Latency histogram in seconds, buckets from 0.5 ms to 10 s. */
  latency: <L extends string>(
    registry: client.Registry,
    name: string,
    help: string,
    labelNames: readonly L[] = [],
  ) =>
    new client.Histogram<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    }),
};
