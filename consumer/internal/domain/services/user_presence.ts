import { AppError } from "../../../../shared/errors.ts";
import type { Logger } from "../../../../shared/logging/logger.ts";
import type { Signals } from "../../../../shared/ports/broker.ts";
import type { ServerFrame, UserPresenceFrame } from "../../../../shared/protocol/frames.ts";
import type { ObservedTransition, People, UserPresenceState } from "../ports/people.ts";
import { PresenceCoalescer } from "./presence_coalescer.ts";
import { PresenceService } from "./presence_service.ts";
import { SerialBatches } from "./serial_batches.ts";

export const USER_PRESENCE_TOPIC = "user-presence";
/** The coalescer's one key: user transitions are merged all together, not per channel. */
const ALL = "users";

/** This instance's side of who is told: the users with a socket here, and their sockets. */
export interface LocalSockets {
  users(): string[];
  send(userId: string, frame: ServerFrame): void;
}

/**
 * Online/last seen per user, across channels and instances. A user is online while they hold a
 * socket on any instance: the same cross-instance tracking as channel presence (changes,
 * snapshots, TTL), with each user as their own scope. Transitions are coalesced (at most one
 * batch per interval, toggles netted out), then one batch at a time: recorded in the store,
 * where only the instance whose update flips a row owns that transition (last seen written once,
 * one `user.online`/`user.offline` webhook event cluster-wide, by the store's outbox), and pushed
 * to the local sockets of the users' DM partners.
 */
export class UserPresence {
  private readonly tracker: PresenceService;
  private readonly coalescer: PresenceCoalescer;
  private settling: ReturnType<typeof setTimeout> | undefined;
  private readonly batches = new SerialBatches<string, ObservedTransition>((b) => this.publish(b));

  constructor(
    signals: Signals,
    private readonly opts: { ttlMs: number; flushesPerSecond: number },
    private readonly people: People,
    private readonly sockets: LocalSockets,
    private readonly logger: Logger,
  ) {
    this.coalescer = new PresenceCoalescer(1000 / opts.flushesPerSecond, ({ joined, left }) => {
      const at = new Date();
      for (const userId of joined) this.batches.put(userId, { userId, online: true, at });
      for (const userId of left) this.batches.put(userId, { userId, online: false, at });
    });
    this.tracker = new PresenceService(
      signals,
      { ttlMs: opts.ttlMs, topic: USER_PRESENCE_TOPIC },
      ({ joined, left }) => this.coalescer.add({ channel: ALL, joined, left }),
    );
  }

  /**
   * Starts tracking; after one TTL, when this instance sees every peer, users stored online who
   * are nowhere (the whole cluster stopped while they were on) are settled offline.
   */
  start(): void {
    this.tracker.start();
    const startedAt = new Date();
    this.settling = setTimeout(() => void this.settle(startedAt), this.opts.ttlMs);
  }

  stop(): void {
    clearTimeout(this.settling);
    this.tracker.stop();
    this.coalescer.stop();
  }

  connected(userId: string, connectionId: string): void {
    this.tracker.join(userId, userId, connectionId);
  }

  disconnected(userId: string, connectionId: string): void {
    this.tracker.leave(userId, userId, connectionId);
  }

  isOnline(userId: string): boolean {
    return this.tracker.online(userId).length > 0;
  }

  /**
   * The presence of `ids` as `caller` may see it: themselves and those they share a channel or DM
   * with; FORBIDDEN when any other is asked (nobody learns of strangers' habits).
   */
  async read(caller: string, ids: string[]): Promise<UserPresenceState[]> {
    const unique = [...new Set(ids)];
    const others = unique.filter((id) => id !== caller);
    const related = others.length ? await this.people.related(caller, others) : new Set();
    const strangers = others.filter((id) => !related.has(id));
    if (strangers.length) {
      throw new AppError("FORBIDDEN", `you share no channel with ${strangers.join(", ")}`);
    }
    const lastSeen = await this.people.lastSeen(unique);
    return unique.map((id) => ({
      id,
      online: this.isOnline(id),
      lastSeen: lastSeen.get(id) ?? null,
    }));
  }

  private async settle(startedAt: Date): Promise<void> {
    try {
      await this.people.settle(this.tracker.channels(), startedAt);
    } catch (err) {
      this.logger.warn("user presence not settled", { err });
    }
  }

  private async publish(batch: ObservedTransition[]): Promise<void> {
    try {
      await this.people.record(batch);
    } catch (err) {
      this.logger.warn("user presence not recorded", { err });
    }
    const local = this.sockets.users();
    if (local.length === 0) return;
    try {
      const byUser = new Map(batch.map((t) => [t.userId, t]));
      const pairs = await this.people.audience([...byUser.keys()], local, true);
      const frames = new Map<string, UserPresenceFrame["users"]>();
      for (const [watcher, subject] of pairs) {
        const t = byUser.get(subject)!;
        const entry = t.online
          ? { id: subject, online: true }
          : { id: subject, online: false, lastSeen: t.at.toISOString() };
        frames.set(watcher, [...frames.get(watcher) ?? [], entry]);
      }
      for (const [watcher, users] of frames) {
        this.sockets.send(watcher, { type: "user_presence", users });
      }
    } catch (err) {
      this.logger.warn("user presence not pushed", { err });
    }
  }
}
