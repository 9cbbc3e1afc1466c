import type { StoredMessage } from "../../../../shared/domain/message.ts";
import { notMemberError } from "../../../../shared/channels/errors.ts";
import { AppError } from "../../../../shared/errors.ts";
import type { ChannelFollow, DeliveryBus } from "../../../../shared/ports/broker.ts";
import type { ChannelAccess } from "../../../../shared/ports/channel_access.ts";
import { spanSince, tracingOn } from "../../../../shared/tracing/tracing.ts";
import {
  messageFrame,
  type PresenceFrame,
  type RequestIdValue,
  type ServerFrame,
  SharedFrame,
} from "../../../../shared/protocol/frames.ts";
import type { MessageStore } from "../ports/message_store.ts";
import type { PresenceTracker } from "../ports/presence.ts";
import type { Subscriber } from "../ports/subscriber.ts";

/** Rows read from PostgreSQL per round trip while replaying or filling a gap. */
const REPLAY_PAGE = 500;
/**
 * Live messages held per subscription while it replays. Past this they are dropped and only the
 * highest seq is remembered: PostgreSQL has them all, so the fill reads them from there instead.
 */
const MAX_PENDING = 1_000;

/**
 * One subscriber's position in one channel. Live messages that arrive while a replay or gap fill
 * is running wait in `pending` (bounded), so the subscriber sees seq order, no gap, no duplicate.
 */
interface Subscription {
  subscriber: Subscriber;
  channel: string;
  lastSeq: number;
  busy: boolean;
  pending: StoredMessage[];
  /** Highest seq dropped from a full `pending`: everything up to it is read from the store. */
  overflowTo: number;
  closed: boolean;
  joined: boolean;
}

export interface DeliveryObserver {
  /** A live message was written to `sockets` sockets (reported once per message, not per socket). */
  fannedOut(message: StoredMessage, sockets: number): void;
  /** A stored message was written to one socket catching up (recovery or a gap fill). */
  replayed(message: StoredMessage): void;
}

/**
 * Delivers each stored message of a channel to its subscribers exactly once, in seq order:
 * recovery from `since` and gap fills read PostgreSQL; live messages come from the delivery bus,
 * which this instance follows per channel while it has a subscriber there (interest-based: an
 * instance receives only the channels its own sockets read).
 */
export class SubscriptionHub {
  private readonly byChannel = new Map<string, Map<string, Subscription>>();
  private readonly follows = new Map<string, ChannelFollow>();
  /** Subscribers that went away: a subscribe still awaiting authorization must not revive them. */
  private readonly departed = new WeakSet<Subscriber>();
  /** Subscribes awaiting authorization: one whose access is revoked meanwhile must not start. */
  private readonly authorizing = new Set<{ channel: string; userId: string; revoked: boolean }>();

  constructor(
    private readonly store: MessageStore,
    private readonly access: ChannelAccess,
    private readonly observer: DeliveryObserver,
    private readonly presence: PresenceTracker,
    private readonly maxPerSubscriber: number,
    private readonly delivery: Pick<DeliveryBus, "follow">,
  ) {}

  get subscriptionCount(): number {
    let n = 0;
    for (const subs of this.byChannel.values()) n += subs.size;
    return n;
  }

  /**
   * Answers `subscribed {lastSeq, recovered}`, then every message after `since` (or, without it,
   * none before the head), then live ones. `recovered: false` when messages after `since` are no
   * longer retained: the subscription then starts at the head and the client reloads history.
   */
  async subscribe(
    subscriber: Subscriber,
    requestId: RequestIdValue,
    channel: string,
    since?: number,
  ): Promise<void> {
    const authorizing = { channel, userId: subscriber.userId, revoked: false };
    this.authorizing.add(authorizing);
    try {
      await this.access.authorize(subscriber.userId, channel);
    } finally {
      this.authorizing.delete(authorizing);
    }
    if (authorizing.revoked) throw notMemberError(channel);
    if (this.departed.has(subscriber)) return;
    if (
      !this.byChannel.get(channel)?.has(subscriber.id) &&
      this.countFor(subscriber) >= this.maxPerSubscriber
    ) {
      throw new AppError(
        "RATE_LIMITED",
        `at most ${this.maxPerSubscriber} subscriptions per connection`,
      );
    }
    // A resubscribe replaces the subscription; the user stays present throughout.
    const previous = this.detach(subscriber.id, channel);
    // Registered before reading the head, so nothing published meanwhile is missed: it waits.
    const sub: Subscription = {
      subscriber,
      channel,
      lastSeq: 0,
      busy: true,
      pending: [],
      overflowTo: 0,
      closed: false,
      joined: previous?.joined ?? false,
    };
    this.subscriptionsOf(channel).set(subscriber.id, sub);
    try {
      // Followed before the head is read: whatever is stored after the read arrives live.
      await this.follows.get(channel)?.ready;
      const head = await this.store.lastSeq(channel);
      if (since !== undefined && since > head) {
        throw new AppError("INVALID", `since ${since} is ahead of the channel (last seq ${head})`);
      }
      const recovered = since === undefined || since === head ||
        since >= await this.store.firstSeq(channel) - 1;
      sub.lastSeq = recovered ? since ?? head : head;
      if (sub.closed) return;
      subscriber.send({ id: requestId, type: "subscribed", channel, lastSeq: head, recovered });
      if (!sub.joined) {
        sub.joined = true;
        this.presence.join(channel, subscriber.userId, subscriber.id);
      }
      await this.catchUp(sub, head);
      await this.drainPending(sub);
    } catch (err) {
      this.remove(subscriber.id, channel);
      throw err;
    }
  }

  unsubscribe(subscriber: Subscriber, channel: string): boolean {
    return this.remove(subscriber.id, channel);
  }

  /** Forgets every subscription of a subscriber that went away. */
  disconnect(subscriber: Subscriber): void {
    this.departed.add(subscriber);
    for (const channel of [...this.byChannel.keys()]) this.remove(subscriber.id, channel);
  }

  /** A live message from the delivery bus. */
  private onDelivered(message: StoredMessage): void {
    const subs = this.byChannel.get(message.channel);
    if (!subs) return;
    if (tracingOn) {
      // In the message's trace: the persist span (this instance) or the delivery header (another).
      const span = spanSince("rtm.fanout", undefined, Date.now(), {
        "rtm.channel": message.channel,
        "rtm.seq": message.seq,
        "rtm.subscribers": subs.size,
      });
      try {
        return this.fanOut(message, subs);
      } finally {
        span.end();
      }
    }
    this.fanOut(message, subs);
  }

  private fanOut(message: StoredMessage, subs: Map<string, Subscription>): void {
    let frame: SharedFrame | undefined; // built once, for every subscriber that is live
    let sockets = 0;
    for (const sub of subs.values()) {
      if (sub.busy) {
        this.hold(sub, message);
        continue;
      }
      if (message.seq <= sub.lastSeq) continue;
      if (message.seq === sub.lastSeq + 1) {
        if (this.send(sub, message, frame ??= new SharedFrame(messageFrame(message)))) sockets++;
        continue;
      }
      // A gap on the live path: fill it from PostgreSQL before going on.
      sub.busy = true;
      this.hold(sub, message);
      void this.drainPending(sub).catch(() => this.dropBroken(sub));
    }
    if (sockets) this.observer.fannedOut(message, sockets);
  }

  /**
   * Catches every idle subscription up to its channel's head in PostgreSQL. The delivery bus is
   * at-most-once: a message lost on it (a NATS reconnect) is otherwise only noticed when the
   * channel's next one arrives; running this every few seconds bounds how long that can take.
   */
  async resync(): Promise<void> {
    const channels = [...this.byChannel.keys()];
    if (channels.length === 0) return;
    const heads = await this.store.lastSeqs(channels);
    for (const [channel, head] of heads) {
      for (const sub of this.byChannel.get(channel)?.values() ?? []) {
        if (sub.busy || sub.lastSeq >= head) continue;
        sub.busy = true;
        sub.overflowTo = head;
        void this.drainPending(sub).catch(() => this.dropBroken(sub));
      }
    }
  }

  /** Ends `userId`'s subscriptions to `channel` (their membership was revoked, or a backend's call). */
  revoke(channel: string, userId: string, why = `no longer a member of channel ${channel}`): void {
    for (const a of this.authorizing) {
      if (a.channel === channel && a.userId === userId) a.revoked = true;
    }
    for (const sub of [...this.byChannel.get(channel)?.values() ?? []]) {
      if (sub.subscriber.userId !== userId) continue;
      this.remove(sub.subscriber.id, channel);
      sub.subscriber.send({
        type: "error",
        code: "FORBIDDEN",
        channel,
        message: `${why}; unsubscribed`,
      });
    }
  }

  /** Tells every local subscriber of `channel` who came online and who went away. */
  broadcastPresence(frame: PresenceFrame): void {
    const shared = new SharedFrame(frame);
    for (const sub of this.byChannel.get(frame.channel)?.values() ?? []) {
      if (sub.joined) sub.subscriber.send(shared);
    }
  }

  /** True while `subscriber` has a subscription to `channel` here. */
  isSubscribed(subscriber: Subscriber, channel: string): boolean {
    return this.byChannel.get(channel)?.get(subscriber.id)?.subscriber === subscriber;
  }

  /** Tells the local subscribers of `channel`, except `user`'s own sockets, that `user` types. */
  broadcastTyping(channel: string, user: string): void {
    let shared: SharedFrame | undefined;
    for (const sub of this.byChannel.get(channel)?.values() ?? []) {
      if (!sub.joined || sub.subscriber.userId === user) continue;
      sub.subscriber.send(shared ??= new SharedFrame({ type: "typing", channel, user }));
    }
  }

  private hold(sub: Subscription, message: StoredMessage): void {
    if (sub.pending.length < MAX_PENDING) {
      sub.pending.push(message);
      return;
    }
    for (const m of sub.pending) sub.overflowTo = Math.max(sub.overflowTo, m.seq);
    sub.overflowTo = Math.max(sub.overflowTo, message.seq);
    sub.pending = [];
  }

  /** The channel's subscriptions; the first one starts following its deliveries. */
  private subscriptionsOf(channel: string): Map<string, Subscription> {
    let subs = this.byChannel.get(channel);
    if (!subs) {
      subs = new Map();
      this.byChannel.set(channel, subs);
      this.follows.set(channel, this.delivery.follow(channel, (m) => this.onDelivered(m)));
    }
    return subs;
  }

  private countFor(subscriber: Subscriber): number {
    let n = 0;
    for (const subs of this.byChannel.values()) if (subs.has(subscriber.id)) n++;
    return n;
  }

  private remove(subscriberId: string, channel: string): boolean {
    const sub = this.detach(subscriberId, channel);
    if (sub?.joined) this.presence.leave(channel, sub.subscriber.userId, subscriberId);
    return sub !== undefined;
  }

  /** Ends a subscription without telling presence (the caller decides). */
  private detach(subscriberId: string, channel: string): Subscription | undefined {
    const subs = this.byChannel.get(channel);
    const sub = subs?.get(subscriberId);
    if (!subs || !sub) return undefined;
    sub.closed = true;
    subs.delete(subscriberId);
    if (subs.size === 0) {
      this.byChannel.delete(channel);
      this.follows.get(channel)?.unfollow();
      this.follows.delete(channel);
    }
    return sub;
  }

  /** Advances the subscription to `message`; true when the socket took the frame. */
  private send(
    sub: Subscription,
    message: StoredMessage,
    frame: SharedFrame | ServerFrame,
  ): boolean {
    sub.lastSeq = message.seq;
    return sub.subscriber.send(frame);
  }

  private replay(sub: Subscription, message: StoredMessage): void {
    if (this.send(sub, message, messageFrame(message))) this.observer.replayed(message);
  }

  /** Sends every stored message with lastSeq < seq ≤ upTo, page by page, at the reader's pace. */
  private async catchUp(sub: Subscription, upTo: number): Promise<void> {
    while (!sub.closed && sub.lastSeq < upTo) {
      const before = sub.lastSeq;
      const page = await this.store.range(sub.channel, sub.lastSeq, upTo, REPLAY_PAGE);
      for (const m of page) {
        if (sub.closed || !await sub.subscriber.writable()) return;
        if (m.seq === sub.lastSeq + 1) this.replay(sub, m);
      }
      if (sub.lastSeq === before) break; // nothing more to read (never loop without progress)
    }
  }

  /** Delivers waiting live messages in seq order, filling any gap before them; then goes live. */
  private async drainPending(sub: Subscription): Promise<void> {
    while (!sub.closed) {
      if (sub.overflowTo > sub.lastSeq) {
        const upTo = sub.overflowTo;
        sub.overflowTo = 0;
        await this.catchUp(sub, upTo);
        continue;
      }
      if (!sub.pending.length) break;
      sub.pending.sort((a, b) => a.seq - b.seq);
      const next = sub.pending.shift()!;
      if (next.seq <= sub.lastSeq) continue;
      if (next.seq > sub.lastSeq + 1) await this.catchUp(sub, next.seq - 1);
      if (next.seq === sub.lastSeq + 1) this.replay(sub, next);
    }
    sub.busy = false;
  }

  private dropBroken(sub: Subscription): void {
    // The store failed mid-fill: unsubscribe so the client resubscribes with `since` and recovers.
    this.remove(sub.subscriber.id, sub.channel);
    sub.subscriber.send({
      type: "error",
      code: "UNAVAILABLE",
      channel: sub.channel,
      message: `subscription to ${sub.channel} interrupted; resubscribe with since=${sub.lastSeq}`,
    });
  }
}
