import { sleep } from "../../../../shared/async/sleep.ts";
import { type AcceptedMessage, dedupeKey } from "../../../../shared/domain/message.ts";
import type { Logger } from "../../../../shared/logging/logger.ts";
import type { DeadLetterQueue } from "../../../../shared/ports/broker.ts";
import type { LogQueue, LogQueues, QueuedEntry } from "../../../../shared/ports/log_queues.ts";
import type { WebhookEvent, WebhookEventType, WebhookSender } from "../ports/webhooks.ts";

export interface WebhookPolicy {
  urls: string[];
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
}

/** A queue that failed (broker away) is opened again after this long. */
const REOPEN_MS = 1_000;

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const EVENT_TYPES: Record<NonNullable<AcceptedMessage["kind"]>, WebhookEventType> = {
  edit: "message.edited",
  delete: "message.deleted",
  react: "reaction.added",
  unreact: "reaction.removed",
};

/** Keyed like the log's idempotency: a retried publish stored once is announced under one id. */
async function eventOf(m: AcceptedMessage): Promise<WebhookEvent> {
  return {
    id: `evt_${(await sha256Hex(dedupeKey(m))).slice(0, 32)}`,
    type: m.kind ? EVENT_TYPES[m.kind] : "message.created",
    timestamp: new Date().toISOString(),
    data: {
      channel: m.channel,
      id: m.id,
      clientMsgId: m.clientMsgId,
      sender: m.sender,
      body: m.body,
      sentAt: m.sentAt,
      // An event names the seq of the message it acts on.
      ...(m.kind ? { target: m.target } : {}),
    },
  };
}

/**
 * Tells the operator's endpoints about every message, at least once, straight from the durable
 * log: each endpoint reads each log partition through a queue of its own (named after its URL),
 * so a slow or absent endpoint holds back only itself, and a partition's order (so a channel's)
 * is kept through retries. A failed delivery is retried with exponential backoff; after the last
 * attempt the message goes to the dead letters with the reason, and the queue moves on. Every
 * consumer instance runs this; the queues hand each entry to one of them.
 */
export class WebhookDispatcher {
  constructor(
    private readonly queues: LogQueues,
    private readonly partitions: number,
    private readonly sender: WebhookSender,
    private readonly deadLetters: DeadLetterQueue,
    private readonly policy: WebhookPolicy,
    private readonly logger: Logger,
  ) {}

  /** Delivers until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const loops = this.policy.urls.flatMap((url) =>
      Array.from({ length: this.partitions }, (_, p) => this.drain(url, p, signal))
    );
    await Promise.all(loops);
  }

  private async drain(url: string, partition: number, signal: AbortSignal): Promise<void> {
    const name = `webhook-${(await sha256Hex(url)).slice(0, 16)}`;
    let queue: LogQueue | undefined;
    while (!signal.aborted) {
      try {
        // An entry not settled within this is handed out again (to any instance).
        queue ??= await this.queues.open(name, partition, { ackWaitMs: 3 * this.policy.timeoutMs });
        const entry = await queue.next();
        if (entry && !signal.aborted) await this.deliver(url, entry);
      } catch (err) {
        this.logger.warn("webhook queue failed", { partition, err });
        queue = undefined;
        await sleep(REOPEN_MS);
      }
    }
  }

  private async deliver(url: string, entry: QueuedEntry): Promise<void> {
    const event = await eventOf(entry.message);
    try {
      await this.sender.send(url, event);
      entry.ack();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (entry.attempt < this.policy.maxAttempts) {
        const delay = Math.min(
          this.policy.retryMaxMs,
          this.policy.retryBaseMs * 2 ** (entry.attempt - 1),
        );
        entry.retryIn(delay);
        return;
      }
      await this.deadLetters.put({
        message: entry.message,
        reason: `webhook ${url} failed ${entry.attempt} times, last: ${why}`,
        attempts: entry.attempt,
        at: new Date().toISOString(),
      });
      this.logger.warn("webhook dead-lettered", { url, channel: entry.message.channel });
      entry.ack();
    }
  }
}
