import { sleep } from "../../../../shared/async/sleep.ts";
import { type ChannelEvent, eventKey } from "../../../../shared/domain/channel_event.ts";
import { type AcceptedMessage, dedupeKey } from "../../../../shared/domain/message.ts";
import type { Logger } from "../../../../shared/logging/logger.ts";
import type {
  DeadLetter,
  DeadLetterQueue,
  EventDeadLetter,
} from "../../../../shared/ports/broker.ts";
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
async function messageEvent(m: AcceptedMessage): Promise<WebhookEvent> {
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

/** A channel event as its webhook: the event's own id, so every copy and retry shares it. */
function channelEvent(e: ChannelEvent): Promise<WebhookEvent> {
  return Promise.resolve({
    id: e.id,
    type: e.type,
    timestamp: new Date().toISOString(),
    data: { channel: e.channel, ...e.data, at: e.at },
  });
}

/** One durable log the endpoints hear of: its entries, as events, and as dead letters. */
interface Feed<T> {
  queues: LogQueues<T>;
  /** The channel (or, for a user's own event, the user) that orders the entry. */
  keyOf(entry: T): string;
  toEvent(entry: T): Promise<WebhookEvent>;
  letter(entry: T, reason: string, attempts: number): DeadLetter | EventDeadLetter;
}

const at = () => new Date().toISOString();

/**
 * Tells the operator's endpoints about every message, at least once, straight from the durable
 * log: each endpoint reads each log partition through a queue of its own (named after its URL),
 * so a slow or absent endpoint holds back only itself, and a partition's order (so a channel's)
 * is kept through retries. A failed delivery is retried with exponential backoff; after the last
 * attempt the message goes to the dead letters with the reason, and the queue moves on. Every
 * consumer instance runs this; the queues hand each entry to one of them. With `events`, channel
 * events (membership, presence) come from a stream of their own, read the same way.
 */
export class WebhookDispatcher {
  constructor(
    private readonly queues: LogQueues,
    private readonly partitions: number,
    private readonly sender: WebhookSender,
    private readonly deadLetters: DeadLetterQueue,
    private readonly policy: WebhookPolicy,
    private readonly logger: Logger,
    private readonly events?: LogQueues<ChannelEvent>,
  ) {}

  /** Delivers until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const messages: Feed<AcceptedMessage> = {
      queues: this.queues,
      keyOf: (m) => m.channel,
      toEvent: messageEvent,
      letter: (message, reason, attempts) => ({ message, reason, attempts, at: at() }),
    };
    const loops = this.policy.urls.flatMap((url) =>
      Array.from({ length: this.partitions }, (_, p) => this.drain(messages, url, p, signal))
    );
    if (this.events) {
      const events: Feed<ChannelEvent> = {
        queues: this.events,
        keyOf: eventKey,
        toEvent: channelEvent,
        letter: (event, reason, attempts) => ({ event, reason, attempts, at: at() }),
      };
      for (const url of this.policy.urls) {
        for (let p = 0; p < this.partitions; p++) loops.push(this.drain(events, url, p, signal));
      }
    }
    await Promise.all(loops);
  }

  private async drain<T>(
    feed: Feed<T>,
    url: string,
    partition: number,
    signal: AbortSignal,
  ): Promise<void> {
    const name = `webhook-${(await sha256Hex(url)).slice(0, 16)}`;
    let queue: LogQueue<T> | undefined;
    while (!signal.aborted) {
      try {
        // An entry not settled within this is handed out again (to any instance).
        queue ??= await feed.queues.open(name, partition, { ackWaitMs: 3 * this.policy.timeoutMs });
        const entry = await queue.next();
        if (entry && !signal.aborted) await this.deliver(feed, url, entry);
      } catch (err) {
        this.logger.warn("webhook queue failed", { partition, err });
        queue = undefined;
        await sleep(REOPEN_MS);
      }
    }
  }

  private async deliver<T>(feed: Feed<T>, url: string, entry: QueuedEntry<T>): Promise<void> {
    const event = await feed.toEvent(entry.message);
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
      await this.deadLetters.put(
        feed.letter(
          entry.message,
          `webhook ${url} failed ${entry.attempt} times, last: ${why}`,
          entry.attempt,
        ),
      );
      this.logger.warn("webhook dead-lettered", { url, key: feed.keyOf(entry.message) });
      entry.ack();
    }
  }
}
