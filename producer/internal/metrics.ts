import { metric, type Registry } from "../../shared/metrics/registry.ts";
import type { PublishObserver } from "./domain/ports/publish_observer.ts";

/**
 * The producer's Prometheus metrics (docs/grafana/rtm.json charts them), as the observers its
 * services report to: the services know nothing of Prometheus.
 */
export function producerMetrics(registry: Registry): {
  publish: PublishObserver;
  sockets: { connections(n: number): void; slowConsumer(): void };
} {
  const publishes = metric.counter(registry, "rtm_publishes_total", "Publishes by result", [
    "result",
  ]);
  const publishLatency = metric.latency(
    registry,
    "rtm_publish_latency_seconds",
    "Publish request to ack",
  );
  const ackLatency = metric.latency(
    registry,
    "rtm_jetstream_ack_latency_seconds",
    "Log append to storage acknowledgement",
  );
  const publish: PublishObserver = {
    published: (result, seconds) => {
      publishes.inc({ result });
      if (result === "ok" || result === "duplicate") publishLatency.observe(seconds);
    },
    logAppended: (seconds) => ackLatency.observe(seconds),
  };
  const connections = metric.gauge(registry, "rtm_connections", "Open publisher sockets");
  return { publish, sockets: { connections: (n) => connections.set(n), slowConsumer: () => {} } };
}
