import type { ServerFrame } from "../../../../shared/protocol/frames.ts";
import type { Subscriber } from "../ports/subscriber.ts";

/** Told of each socket as it comes and goes (user presence). */
export interface SocketObserver {
  connected(userId: string, connectionId: string): void;
  disconnected(userId: string, connectionId: string): void;
}

/** This instance's sockets by user, for what concerns a user rather than a channel. */
export class UserSockets {
  private readonly byUser = new Map<string, Set<Subscriber>>();

  constructor(private readonly observer?: SocketObserver) {}

  add(subscriber: Subscriber): void {
    const set = this.byUser.get(subscriber.userId) ?? new Set();
    this.byUser.set(subscriber.userId, set);
    set.add(subscriber);
    this.observer?.connected(subscriber.userId, subscriber.id);
  }

  remove(subscriber: Subscriber): void {
    const set = this.byUser.get(subscriber.userId);
    if (!set?.delete(subscriber)) return;
    this.observer?.disconnected(subscriber.userId, subscriber.id);
    if (set.size === 0) this.byUser.delete(subscriber.userId);
  }

  /** The users with at least one socket here. */
  users(): string[] {
    return [...this.byUser.keys()];
  }

  /** To every socket of the user here, or only those `only` picks. */
  send(userId: string, frame: ServerFrame, only?: (s: Subscriber) => boolean): void {
    for (const s of this.byUser.get(userId) ?? []) if (!only || only(s)) s.send(frame);
  }
}
