import type { Logger } from "../../shared/logging/logger.ts";
import type { Broker } from "../../shared/ports/broker.ts";
import type { EventLog } from "../../shared/ports/event_log.ts";
import type { LogQueues } from "../../shared/ports/log_queues.ts";
import type { ConsumerConfig } from "../config/config.ts";
import type { EventOutbox } from "./domain/ports/event_outbox.ts";
import type { HistoryPruner } from "./domain/ports/history_pruner.ts";
import type { MessageStore } from "./domain/ports/message_store.ts";
import type { PersistObserver } from "./domain/ports/persist_observer.ts";
import { EventRelay } from "./domain/services/event_relay.ts";
import { PersistService } from "./domain/services/persist_service.ts";
import { RetentionService } from "./domain/services/retention_service.ts";
import { runWebhooks } from "./webhooks.ts";

/**
 * The loops that work through the log and the store in the background: persistence (log → store
 * → delivery), webhooks when configured, history retention, and the relay of recorded channel
 * events (outbox → event stream). The returned stop ends them all and waits for persistence to
 * finish its batches in hand, for retention's current purge and for the relay's current round.
 */
export function runLogJobs(
  config: Pick<ConsumerConfig, "persist" | "webhooks" | "namespaces" | "retention">,
  deps: {
    broker: Pick<Broker, "log" | "ownership" | "delivery" | "deadLetters"> & {
      logQueues?: LogQueues;
      events?: EventLog;
    };
    store: MessageStore;
    pruner: HistoryPruner;
    outbox: EventOutbox;
    observer: PersistObserver;
    logger: Logger;
  },
): { stop: () => Promise<void> } {
  const { broker, logger } = deps;
  const stopping = new AbortController();
  const persist = new PersistService(
    broker.log,
    broker.ownership,
    deps.store,
    broker.delivery,
    broker.deadLetters,
    config.persist,
    deps.observer,
    logger,
  );
  if (config.webhooks) runWebhooks(config.webhooks, broker, logger, stopping.signal);
  const retention = new RetentionService(
    deps.pruner,
    config.namespaces.withRetention(),
    config.retention.intervalMs,
    logger,
  );
  const retaining = retention.run(stopping.signal);
  const relaying = new EventRelay(
    deps.outbox,
    broker.events?.append,
    logger.child({ component: "event-relay" }),
  ).run(stopping.signal);
  const persisting = persist.run(stopping.signal).catch((err) => {
    logger.error("persist loop stopped", { err });
  });
  return {
    stop: async () => {
      stopping.abort();
      await Promise.all([persisting, retaining, relaying]);
    },
  };
}
