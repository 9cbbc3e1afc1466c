import type { RtmClient, UserPresence } from "../sdk/mod.ts";
import { el } from "./dom.ts";

/** The presence API's batch limit. */
const BATCH = 100;

/**
 * DM partners' presence for the channel list: a green dot while they are online anywhere, a grey
 * one with "last seen …" otherwise. Asked once per partner, then kept live by the socket's
 * `user_presence` events.
 */
export class PresenceDots {
  private readonly known = new Map<string, UserPresence>();

  constructor(private readonly client: RtmClient, private readonly changed: () => void) {
    client.onUserPresence((users) => this.learn(users));
  }

  /** Asks about the partners in `ids` not known yet. */
  track(ids: string[]): void {
    const wanted = [...new Set(ids)].filter((id) => !this.known.has(id));
    for (let i = 0; i < wanted.length; i += BATCH) {
      this.client.userPresence(wanted.slice(i, i + BATCH)).then((u) => this.learn(u), () => {});
    }
  }

  dot(userId: string): HTMLElement {
    const p = this.known.get(userId);
    const title = p?.online
      ? "online"
      : p?.lastSeen
      ? `last seen ${
        new Date(p.lastSeen).toLocaleString([], { dateStyle: "short", timeStyle: "short" })
      }`
      : "offline";
    return el("span", { class: p?.online ? "dot online" : "dot", title });
  }

  private learn(users: UserPresence[]): void {
    for (const u of users) this.known.set(u.id, u);
    this.changed();
  }
}
