import type { ServerFrame } from "../../../../shared/protocol/frames.ts";
import type { Subscriber } from "../ports/subscriber.ts";

/** This instance's sockets by user, for what concerns a user rather than a channel. */
export class UserSockets {
  private readonly byUser = new Map<string, Set<Subscriber>>();

  add(subscriber: Subscriber): void {
    const set = this.byUser.get(subscriber.userId) ?? new Set();
    this.byUser.set(subscriber.userId, set);
    set.add(subscriber);
  }

  remove(subscriber: Subscriber): void {
    const set = this.byUser.get(subscriber.userId);
    if (!set?.delete(subscriber) || set.size > 0) return;
    this.byUser.delete(subscriber.userId);
  }

  /** To every socket of the user here, or only those `only` picks. */
  send(userId: string, frame: ServerFrame, only?: (s: Subscriber) => boolean): void {
    for (const s of this.byUser.get(userId) ?? []) if (!only || only(s)) s.send(frame);
  }
}
