import type {
  MessageFrame,
  PresenceFrame,
  ServerFrame,
  SubscribedFrame,
  TypingEventFrame,
} from "./wire.ts";
import { backoffDelay, type BackoffPolicy } from "./backoff.ts";
import type { MessageEvent } from "./message_state.ts";
import { RtmError } from "./errors.ts";

export type Message = Omit<MessageFrame, "type">;
export type Presence = Omit<PresenceFrame, "type">;
export type Typing = Omit<TypingEventFrame, "type">;

/** Show "is typing" this long after the last signal: typists repeat it sooner while typing. */
export const TYPING_SHOWN_MS = 5_000;
/** While someone types, their signal goes out again after this long. */
const TYPING_REPEAT_MS = 3_000;
/**
 * The least time between two signals, even after a publish: the server refuses a second one
 * within 1 s per socket and channel (typing_relay.ts); the rest is room for network jitter.
 */
const TYPING_MIN_GAP_MS = 1_200;

export interface SubscribeOptions {
  /** Deliver every message after this seq first (e.g. the last one of a history page). */
  since?: number;
  /**
   * An edit, delete or reaction of an earlier message (`target`), in the channel's seq order
   * with its messages (keep them current with `applyEvent`). Without it, events are skipped;
   * they never reach `onMessage`.
   */
  onEvent?(event: MessageEvent): void;
  /** Who joined or left the channel (users' first socket opened, last one closed). */
  onPresence?(presence: Presence): void;
  /** Another user is typing in the channel: show it for TYPING_SHOWN_MS unless repeated. */
  onTyping?(typing: Typing): void;
  /**
   * The server could not recover from the last seen seq (`recovered: false`: older than what it
   * retains): messages were missed, reload history. Delivery goes on from `lastSeq`.
   */
  onReset?(info: { channel: string; lastSeq: number }): void;
  /** The subscription ended for good (e.g. FORBIDDEN after leaving a private channel). */
  onError?(err: RtmError): void;
}

export interface Subscription {
  readonly channel: string;
  /** The seq of the last message delivered (or the channel head when subscribed). */
  readonly lastSeq: number;
  unsubscribe(): void;
}

interface Entry {
  channel: string;
  lastSeq?: number;
  onMessage(message: Message): void;
  opts: SubscribeOptions;
  requestId?: string;
  attempts: number;
  retry?: ReturnType<typeof setTimeout>;
  ready?: { resolve(sub: Subscription): void; reject(err: RtmError): void };
  handle: Subscription;
  /** When this client last told the channel it types. */
  typedAt?: number;
  /** No typing signal goes out before this (TYPING_REPEAT_MS after the last, less after a publish). */
  typingAgainAt?: number;
}

/**
 * Subscriptions that survive reconnects: after every (re)connect each one is renewed with
 * `since` = the last seq it delivered, and frames at or below that seq are dropped, so the
 * application sees every message of a channel exactly once, in seq order.
 */
export class Subscriptions {
  private readonly entries = new Map<string, Entry>();
  private nextId = 0;

  constructor(
    private readonly send: (frame: unknown) => boolean,
    private readonly backoff: BackoffPolicy,
  ) {}

  subscribe(
    channel: string,
    onMessage: (message: Message) => void,
    opts: SubscribeOptions = {},
  ): Promise<Subscription> {
    if (this.entries.has(channel)) {
      return Promise.reject(new RtmError("INVALID", `already subscribed to ${channel}`));
    }
    return new Promise((resolve, reject) => {
      const entry: Entry = {
        channel,
        lastSeq: opts.since,
        onMessage,
        opts,
        attempts: 0,
        ready: { resolve, reject },
        handle: {
          channel,
          get lastSeq() {
            return entry.lastSeq ?? 0;
          },
          unsubscribe: () => this.unsubscribe(entry),
        },
      };
      this.entries.set(channel, entry);
      this.renew(entry);
    });
  }

  /** The consumer socket (re)opened: renew every subscription from where it stopped. */
  renewAll(): void {
    for (const entry of this.entries.values()) this.renew(entry);
  }

  /** A consumer frame; returns false when it concerns no subscription. */
  onFrame(frame: ServerFrame): boolean {
    switch (frame.type) {
      case "message":
        return this.onMessage(frame);
      case "presence": {
        const entry = this.entries.get(frame.channel);
        entry?.opts.onPresence?.({
          channel: frame.channel,
          joined: frame.joined,
          left: frame.left,
        });
        return !!entry;
      }
      case "typing": {
        const entry = this.entries.get(frame.channel);
        entry?.opts.onTyping?.({ channel: frame.channel, user: frame.user });
        return !!entry;
      }
      case "subscribed":
        return this.onSubscribed(frame);
      case "error": {
        // A refused subscribe (its request id), or a subscription the server ended (its channel).
        const entry = frame.id === undefined
          ? frame.channel === undefined ? undefined : this.entries.get(frame.channel)
          : [...this.entries.values()].find((e) => e.requestId === frame.id);
        if (!entry) return false;
        this.onRefused(entry, new RtmError(frame.code, frame.message));
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * Tells the channel's other subscribers the user is typing; call it on every keystroke, it
   * sends at most once per TYPING_REPEAT_MS. False when not sent (throttled, not subscribed yet).
   */
  typing(channel: string, now = Date.now()): boolean {
    const entry = this.entries.get(channel);
    if (!entry || entry.ready || now < (entry.typingAgainAt ?? now)) return false;
    if (!this.send({ id: `typing-${++this.nextId}`, type: "typing", channel })) return false;
    entry.typedAt = now;
    entry.typingAgainAt = now + TYPING_REPEAT_MS;
    return true;
  }

  /**
   * The user's message to `channel` was stored: receivers stop showing them typing when it
   * arrives, so the next keystroke must say so again, as soon as the server takes it.
   */
  published(channel: string): void {
    const entry = this.entries.get(channel);
    if (entry?.typedAt !== undefined) entry.typingAgainAt = entry.typedAt + TYPING_MIN_GAP_MS;
  }

  close(): void {
    for (const entry of [...this.entries.values()]) {
      clearTimeout(entry.retry);
      entry.ready?.reject(new RtmError("UNAVAILABLE", "client closed"));
    }
    this.entries.clear();
  }

  private renew(entry: Entry): void {
    clearTimeout(entry.retry);
    entry.retry = undefined;
    entry.requestId = `sub-${++this.nextId}`;
    this.send({
      id: entry.requestId,
      type: "subscribe",
      channel: entry.channel,
      ...(entry.lastSeq === undefined ? {} : { since: entry.lastSeq }),
    });
  }

  private onSubscribed(frame: SubscribedFrame): boolean {
    const entry = this.entries.get(frame.channel);
    if (!entry || entry.requestId !== frame.id) return false;
    entry.attempts = 0;
    if (frame.recovered === false && entry.lastSeq !== undefined) {
      entry.lastSeq = frame.lastSeq;
      entry.opts.onReset?.({ channel: entry.channel, lastSeq: frame.lastSeq });
    }
    entry.lastSeq ??= frame.lastSeq;
    entry.ready?.resolve(entry.handle);
    entry.ready = undefined;
    return true;
  }

  private onMessage(frame: MessageFrame): boolean {
    const entry = this.entries.get(frame.channel);
    if (!entry || entry.lastSeq === undefined) return false;
    if (frame.seq <= entry.lastSeq) return true; // a replay overlapping what was delivered
    if (frame.seq > entry.lastSeq + 1) {
      // Never expected (the server fills gaps); resynchronise rather than skip a message.
      this.renew(entry);
      return true;
    }
    entry.lastSeq = frame.seq;
    const { type: _, ...message } = frame;
    if (message.kind) entry.opts.onEvent?.(message as MessageEvent);
    else entry.onMessage(message);
    return true;
  }

  private onRefused(entry: Entry, err: RtmError): void {
    if (err.code === "UNAVAILABLE") {
      clearTimeout(entry.retry);
      entry.retry = setTimeout(
        () => this.renew(entry),
        backoffDelay(entry.attempts++, this.backoff),
      );
      return;
    }
    this.entries.delete(entry.channel);
    if (entry.ready) entry.ready.reject(err);
    else entry.opts.onError?.(err);
  }

  private unsubscribe(entry: Entry): void {
    if (this.entries.get(entry.channel) !== entry) return;
    clearTimeout(entry.retry);
    this.entries.delete(entry.channel);
    this.send({ id: `unsub-${++this.nextId}`, type: "unsubscribe", channel: entry.channel });
  }
}
