import { metric, type Registry } from "../../shared/metrics/registry.ts";
import type { PersistObserver } from "./domain/ports/persist_observer.ts";
import type { DeliveryObserver } from "./domain/services/subscription_hub.ts";

/** Values the consumer already tracks, read at scrape time. */
export interface ConsumerReadings {
  deliveryReceived(): number;
  subscriptions(): number;
  /** -1 when the broker cannot tell. */
  deadLettersStored(): Promise<number>;
}

/**
 * The consumer's Prometheus metrics (docs/grafana/rtm.json charts them), as the observers its
 * services report to: the services know nothing of Prometheus.
 */
export function consumerMetrics(registry: Registry, read: ConsumerReadings): {
  persist: PersistObserver;
  delivery: DeliveryObserver;
  sockets: { connections(n: number): void; slowConsumer(): void };
  sse: { streams(n: number): void; slowConsumer(): void };
} {
  // Persistence.
  const batchSize = metric.latency(
    registry,
    "rtm_persist_batch_size",
    "Messages per stored partition batch",
  );
  const batchLatency = metric.latency(
    registry,
    "rtm_persist_batch_seconds",
    "Time to store one partition batch, waiting for a store slot included",
  );
  const storeFailures = metric.counter(registry, "rtm_store_failures_total", "Failed batch stores");
  const deadLetters = metric.counter(registry, "rtm_dead_letters_total", "Dead-lettered messages");
  metric.observed(
    registry,
    "rtm_dead_letters_stored",
    "Dead letters held in the dead-letter stream (all instances)",
    read.deadLettersStored,
  );
  const partitions = metric.gauge(
    registry,
    "rtm_persist_partitions_owned",
    "Log partitions this instance persists",
  );
  // Delivery.
  const delivered = metric.counter(registry, "rtm_messages_delivered_total", "Frames to sockets");
  const deliveryLatency = metric.latency(
    registry,
    "rtm_delivery_latency_seconds",
    "Publish time to the socket writes of a live message (once per message)",
  );
  metric.observedTotal(
    registry,
    "rtm_delivery_received_total",
    "Delivery messages this instance received from NATS (for channels its sockets follow)",
    read.deliveryReceived,
  );
  metric.observed(
    registry,
    "rtm_subscriptions",
    "Active channel subscriptions",
    read.subscriptions,
  );
  // Sockets.
  const sockets = metric.gauge(registry, "rtm_sockets", "Open subscriber sockets");
  const slowConsumers = metric.counter(
    registry,
    "rtm_slow_consumer_closes_total",
    "Sockets cut off as slow consumers",
  );
  const sseStreams = metric.gauge(registry, "rtm_sse_streams", "Open Server-Sent Events streams");
  return {
    persist: {
      batchStored: (size, seconds) => {
        batchSize.observe(size);
        batchLatency.observe(seconds);
      },
      deadLettered: () => deadLetters.inc(),
      storeFailed: () => storeFailures.inc(),
      partitionsOwned: (n) => partitions.set(n),
    },
    delivery: {
      fannedOut: (m, n) => {
        delivered.inc(n);
        deliveryLatency.observe(Math.max(0, Date.now() - Date.parse(m.sentAt)) / 1000);
      },
      replayed: () => delivered.inc(),
    },
    sockets: {
      connections: (n) => sockets.set(n),
      slowConsumer: () => slowConsumers.inc(),
    },
    sse: {
      streams: (n) => sseStreams.set(n),
      slowConsumer: () => slowConsumers.inc(),
    },
  };
}
