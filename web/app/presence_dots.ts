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

  /** The dot, with what it means as its title. */
  dot(userId: string): HTMLElement {
    const p = this.known.get(userId);
    const title = p?.online
      ? "online"
      : p?.lastSeen
      ? `last seen ${new Date(p.lastSeen).toLocaleString()}`
      : "offline";
    return el("span", { class: p?.online ? "dot online" : "dot", title });
  }

  /** "seen 14:05" (today) or "seen 28/11" while offline with a last seen; otherwise nothing. */
  seen(userId: string): HTMLElement | null {
    const p = this.known.get(userId);
    if (!p || p.online || !p.lastSeen) return null;
    const at = new Date(p.lastSeen);
    const today = at.toDateString() === new Date().toDateString();
    const text = today
      ? at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
      : at.toLocaleDateString([], { day: "numeric", month: "short" });
    return el("span", { class: "last-seen", text: `seen ${text}` });
  }

  private learn(users: UserPresence[]): void {
    for (const u of users) this.known.set(u.id, u);
    this.changed();
  }
}
