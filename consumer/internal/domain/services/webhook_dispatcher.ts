import { sleep } from "../../../../shared/async/sleep.ts";
import { type AcceptedMessage, dedupeKey } from "../../../../shared/domain/message.ts";
import type { Logger } from "../../../../shared/logging/logger.ts";
import type { DeadLetterQueue } from "../../../../shared/ports/broker.ts";
import type {
  EventLog,
  LoggedEvent,
  LogQueue,
  LogQueues,
  QueuedEntry,
} from "../../../../shared/ports/log_queues.ts";
import type { WebhookEvent, WebhookSender } from "../ports/webhooks.ts";

export interface WebhookPolicy {
  urls: string[];
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
}

/** A queue that failed (broker away) is opened again after this long. */
const REOPEN_MS = 1_000;

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Keyed like the log's idempotency: a retried publish stored once is announced under one id. */
async function messageCreated(m: AcceptedMessage): Promise<WebhookEvent> {
  return {
    id: `evt_${(await sha256Hex(dedupeKey(m))).slice(0, 32)}`,
    type: "message.created",
    timestamp: new Date().toISOString(),
    data: {
      channel: m.channel,
      id: m.id,
      clientMsgId: m.clientMsgId,
      sender: m.sender,
      body: m.body,
      sentAt: m.sentAt,
    },
  };
}

/**
 * Tells the operator's endpoints about every message, at least once, straight from the durable
 * log: each endpoint reads each log partition through a queue of its own (named after its URL),
 * so a slow or absent endpoint holds back only itself, and a partition's order (so a channel's)
 * is kept through retries. A failed delivery is retried with exponential backoff; after the last
 * attempt the message goes to the dead letters with the reason, and the queue moves on. Every
 * consumer instance runs this; the queues hand each entry to one of them. Presence events, when
 * there is an event log, come the same way through one more queue per endpoint (in the order they
 * were stored; one that fails every attempt is logged and dropped: dead letters hold messages).
 */
export class WebhookDispatcher {
  constructor(
    private readonly queues: LogQueues,
    private readonly partitions: number,
    private readonly sender: WebhookSender,
    private readonly deadLetters: DeadLetterQueue,
    private readonly policy: WebhookPolicy,
    private readonly logger: Logger,
    private readonly events?: EventLog,
  ) {}

  /** Delivers until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    // An entry not settled within this is handed out again (to any instance).
    const ackWaitMs = 3 * this.policy.timeoutMs;
    const loops = this.policy.urls.flatMap((url) => [
      ...Array.from({ length: this.partitions }, (_, p) =>
        this.drain(
          url,
          String(p),
          (name) => this.queues.open(name, p, { ackWaitMs }),
          (entry) => this.deliverMessage(url, entry),
          signal,
        )),
      ...(this.events ? [this.events] : []).map((events) =>
        this.drain(
          url,
          "events",
          (name) => events.open(`${name}-events`, { ackWaitMs }),
          (entry) => this.deliverEvent(url, entry),
          signal,
        )
      ),
    ]);
    await Promise.all(loops);
  }

  private async drain<T>(
    url: string,
    queueLabel: string,
    open: (name: string) => Promise<LogQueue<T>>,
    deliver: (entry: QueuedEntry<T>) => Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    const name = `webhook-${(await sha256Hex(url)).slice(0, 16)}`;
    let queue: LogQueue<T> | undefined;
    while (!signal.aborted) {
      try {
        queue ??= await open(name);
        const entry = await queue.next();
        if (entry && !signal.aborted) await deliver(entry);
      } catch (err) {
        this.logger.warn("webhook queue failed", { queue: queueLabel, err });
        queue = undefined;
        await sleep(REOPEN_MS);
      }
    }
  }

  private async deliverMessage(url: string, entry: QueuedEntry): Promise<void> {
    await this.deliver(url, entry, await messageCreated(entry.message), async (why) => {
      await this.deadLetters.put({
        message: entry.message,
        reason: `webhook ${url} failed ${entry.attempt} times, last: ${why}`,
        attempts: entry.attempt,
        at: new Date().toISOString(),
      });
      this.logger.warn("webhook dead-lettered", { url, channel: entry.message.channel });
    });
  }

  private deliverEvent(url: string, entry: QueuedEntry<LoggedEvent>): Promise<void> {
    const event = entry.message as WebhookEvent;
    return this.deliver(url, entry, event, (why) => {
      this.logger.warn("webhook event dropped", { url, type: event.type, id: event.id, why });
      return Promise.resolve();
    });
  }

  /** Sends; retries with backoff while attempts remain, else `giveUp` with why, and moves on. */
  private async deliver<T>(
    url: string,
    entry: QueuedEntry<T>,
    event: WebhookEvent,
    giveUp: (why: string) => Promise<void>,
  ): Promise<void> {
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
      await giveUp(why);
      entry.ack();
    }
  }
}
