import type { Logger } from "../../shared/logging/logger.ts";
import type { DeadLetterQueue, PartitionedLog } from "../../shared/ports/broker.ts";
import type { EventLog } from "../../shared/ports/event_log.ts";
import type { LogQueues } from "../../shared/ports/log_queues.ts";
import type { WebhookConfig } from "../config/webhooks.ts";
import { HttpWebhookSender } from "./adapters/outbound/http_webhook_sender.ts";
import { WebhookDispatcher } from "./domain/services/webhook_dispatcher.ts";

/**
 * Webhooks for every stored message (and, with `events`, every channel event), read from the
 * logs through durable queues, until `signal` aborts. Not awaited on stop: an entry in flight is simply handed out again later.
 */
export function runWebhooks(
  config: WebhookConfig,
  deps: {
    logQueues?: LogQueues;
    events?: EventLog;
    log: PartitionedLog;
    deadLetters: DeadLetterQueue;
  },
  logger: Logger,
  signal: AbortSignal,
): void {
  if (!deps.logQueues) throw new Error("webhooks need the NATS broker (set NATS_URL)");
  const dispatcher = new WebhookDispatcher(
    deps.logQueues,
    deps.log.partitions,
    new HttpWebhookSender(config.key, config.timeoutMs),
    deps.deadLetters,
    config,
    logger.child({ component: "webhooks" }),
    deps.events?.queues,
  );
  dispatcher.run(signal).catch((err) => logger.error("webhooks stopped", { err }));
}
