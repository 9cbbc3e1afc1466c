import { z } from "zod";
import type { Signals } from "../../../../shared/ports/broker.ts";
import type { PresenceTracker } from "../ports/presence.ts";

export const PRESENCE_TOPIC = "presence";

/**
 * What instances tell each other: a change as it happens, a full snapshot on every heartbeat (it
 * also repairs a lost change), a hello from a new instance (answered with snapshots), a bye on
 * a graceful stop. An instance that stops heartbeating is forgotten after the TTL. A snapshot
 * goes in parts that stay well under NATS's payload limit; a peer applies it once all arrived.
 */
const PresenceSignal = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("change"),
    instance: z.string(),
    channel: z.string(),
    user: z.string(),
    online: z.boolean(),
  }),
  z.object({
    kind: z.literal("snapshot"),
    instance: z.string(),
    epoch: z.number().int(),
    part: z.number().int().min(0),
    parts: z.number().int().min(1),
    channels: z.record(z.string(), z.array(z.string())),
  }),
  z.object({ kind: z.literal("hello"), instance: z.string() }),
  z.object({ kind: z.literal("bye"), instance: z.string() }),
]);
type PresenceSignal = z.infer<typeof PresenceSignal>;

export interface PresenceChange {
  channel: string;
  joined: string[];
  left: string[];
}

/** channel → users online there through one instance. */
type Entries = Map<string, Set<string>>;

/** Rough bytes per snapshot part (NATS refuses payloads over 1 MiB by default). */
const SNAPSHOT_PART_BYTES = 256 * 1024;

/**
 * Who is online on which channel, across every consumer instance. A user is online on a channel
 * while at least one of their sockets, on any instance, is subscribed to it. Each instance keeps
 * the whole picture (its own sockets plus every live peer's last word) and reports transitions.
 */
export class PresenceService implements PresenceTracker {
  readonly instance = crypto.randomUUID();
  /** channel → user → this instance's connections subscribed there. */
  private readonly local = new Map<string, Map<string, Set<string>>>();
  private readonly peers = new Map<string, { entries: Entries; expiresAt: number }>();
  /** Peers' snapshots still arriving in parts. */
  private readonly assembling = new Map<string, { epoch: number; got: number; entries: Entries }>();
  private epoch = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly signals: Signals,
    /** `topic`: its own signals topic, for a second tracker (user presence) beside this one. */
    private readonly opts: { ttlMs: number; topic?: string },
    private readonly onChange: (change: PresenceChange) => void,
    private readonly now: () => number = Date.now,
  ) {}

  private get topic(): string {
    return this.opts.topic ?? PRESENCE_TOPIC;
  }

  /** Listens to peers, says hello, then heartbeats and expires silent peers every TTL/3. */
  start(): void {
    this.unsubscribe = this.signals.subscribe(this.topic, (data) => this.onSignal(data));
    this.publish({ kind: "hello", instance: this.instance });
    this.timer = setInterval(() => {
      this.publishSnapshot();
      this.expirePeers();
    }, Math.max(10, Math.floor(this.opts.ttlMs / 3)));
  }

  /** Peers forget this instance's users at once instead of after the TTL. */
  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
    this.publish({ kind: "bye", instance: this.instance });
  }

  online(channel: string): string[] {
    const users = new Set(this.local.get(channel)?.keys() ?? []);
    for (const peer of this.peers.values()) {
      for (const user of peer.entries.get(channel) ?? []) users.add(user);
    }
    return [...users].sort();
  }

  /** Every channel someone is online on, through any instance. */
  channels(): string[] {
    const all = new Set(this.local.keys());
    for (const peer of this.peers.values()) {
      for (const channel of peer.entries.keys()) all.add(channel);
    }
    return [...all];
  }

  join(channel: string, userId: string, connectionId: string): void {
    const existing = this.local.get(channel)?.get(userId);
    if (existing) {
      existing.add(connectionId);
      return;
    }
    const wasOnline = this.isOnline(channel, userId);
    const users = this.local.get(channel) ?? new Map<string, Set<string>>();
    this.local.set(channel, users);
    users.set(userId, new Set([connectionId]));
    this.publish({ kind: "change", instance: this.instance, channel, user: userId, online: true });
    if (!wasOnline) this.onChange({ channel, joined: [userId], left: [] });
  }

  leave(channel: string, userId: string, connectionId: string): void {
    const users = this.local.get(channel);
    const conns = users?.get(userId);
    if (!users || !conns?.delete(connectionId) || conns.size > 0) return;
    users.delete(userId);
    if (users.size === 0) this.local.delete(channel);
    this.publish({ kind: "change", instance: this.instance, channel, user: userId, online: false });
    if (!this.isOnline(channel, userId)) this.onChange({ channel, joined: [], left: [userId] });
  }

  private isOnline(channel: string, user: string): boolean {
    if (this.local.get(channel)?.has(user)) return true;
    for (const peer of this.peers.values()) {
      if (peer.entries.get(channel)?.has(user)) return true;
    }
    return false;
  }

  private onSignal(data: unknown): void {
    const parsed = PresenceSignal.safeParse(data);
    if (!parsed.success || parsed.data.instance === this.instance) return;
    const signal = parsed.data;
    switch (signal.kind) {
      case "hello":
        this.publishSnapshot();
        return;
      case "bye":
        this.assembling.delete(signal.instance);
        this.updatePeer(signal.instance, () => undefined);
        return;
      case "snapshot": {
        let whole = this.assembling.get(signal.instance);
        if (whole?.epoch !== signal.epoch) {
          whole = { epoch: signal.epoch, got: 0, entries: new Map() };
          this.assembling.set(signal.instance, whole);
        }
        for (const [channel, users] of Object.entries(signal.channels)) {
          whole.entries.set(channel, new Set(users));
        }
        if (++whole.got < signal.parts) return;
        this.assembling.delete(signal.instance);
        this.updatePeer(signal.instance, () => whole.entries);
        return;
      }
      case "change":
        this.updatePeer(signal.instance, (entries) => {
          const next = entries ?? new Map();
          const users = next.get(signal.channel) ?? new Set<string>();
          if (signal.online) users.add(signal.user);
          else users.delete(signal.user);
          if (users.size) next.set(signal.channel, users);
          else next.delete(signal.channel);
          return next;
        });
        return;
    }
  }

  /**
   * Replaces one peer's entries (undefined: forget the peer) and reports every user whose online
   * state changed because of it.
   */
  private updatePeer(instance: string, update: (entries?: Entries) => Entries | undefined): void {
    const before = this.peers.get(instance)?.entries;
    const after = update(before && new Map([...before].map(([c, u]) => [c, new Set(u)])));
    const touched: [string, string][] = [];
    for (const entries of [before, after]) {
      for (const [channel, users] of entries ?? []) {
        for (const u of users) touched.push([channel, u]);
      }
    }
    const was = touched.map(([channel, u]) => this.isOnline(channel, u));
    if (after) {
      this.peers.set(instance, { entries: after, expiresAt: this.now() + this.opts.ttlMs });
    } else this.peers.delete(instance);
    const changes = new Map<string, { joined: Set<string>; left: Set<string> }>();
    touched.forEach(([channel, u], i) => {
      const is = this.isOnline(channel, u);
      if (is === was[i]) return;
      const change = changes.get(channel) ?? { joined: new Set(), left: new Set() };
      changes.set(channel, change);
      (is ? change.joined : change.left).add(u);
    });
    for (const [channel, { joined, left }] of changes) {
      this.onChange({ channel, joined: [...joined].sort(), left: [...left].sort() });
    }
  }

  private expirePeers(): void {
    const now = this.now();
    for (const [instance, peer] of [...this.peers]) {
      if (peer.expiresAt > now) continue;
      this.assembling.delete(instance);
      this.updatePeer(instance, () => undefined);
    }
  }

  private publishSnapshot(): void {
    const parts: Record<string, string[]>[] = [{}];
    let size = 0;
    for (const [channel, users] of this.local) {
      const entry = [...users.keys()];
      const bytes = channel.length + entry.reduce((n, u) => n + u.length + 3, 8);
      if (size > 0 && size + bytes > SNAPSHOT_PART_BYTES) {
        parts.push({});
        size = 0;
      }
      parts[parts.length - 1][channel] = entry;
      size += bytes;
    }
    const epoch = ++this.epoch;
    parts.forEach((channels, part) =>
      this.publish({
        kind: "snapshot",
        instance: this.instance,
        epoch,
        part,
        parts: parts.length,
        channels,
      })
    );
  }

  private publish(signal: PresenceSignal): void {
    try {
      this.signals.publish(this.topic, signal);
    } catch {
      // Broker down: the next heartbeat after it is back repairs every peer's view.
    }
  }
}
