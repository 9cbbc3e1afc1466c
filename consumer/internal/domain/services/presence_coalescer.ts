import type { PresenceChange } from "./presence_service.ts";

/** A user's state on a channel before the pending window and now. */
interface Net {
  was: boolean;
  is: boolean;
}

interface ChannelWindow {
  pending: Map<string, Net>;
  /** Set while the channel is cooling down after a frame: changes wait for it. */
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Presence frames per channel, at most one per `intervalMs` whatever the churn (issue #14: every
 * subscribe/unsubscribe toggle was a frame to every subscriber). The first change after a quiet
 * spell goes out at once; later ones are merged into one frame at the end of the interval, net of
 * toggles (joined and left again: nothing to say).
 */
export class PresenceCoalescer {
  private readonly channels = new Map<string, ChannelWindow>();

  constructor(
    private readonly intervalMs: number,
    private readonly emit: (change: PresenceChange) => void,
  ) {}

  add({ channel, joined, left }: PresenceChange): void {
    let window = this.channels.get(channel);
    if (!window) this.channels.set(channel, window = { pending: new Map() });
    for (const [users, is] of [[left, false], [joined, true]] as const) {
      for (const user of users) {
        const net = window.pending.get(user);
        if (net) net.is = is;
        else window.pending.set(user, { was: !is, is });
      }
    }
    if (!window.timer) this.flush(channel, window);
  }

  stop(): void {
    for (const w of this.channels.values()) clearTimeout(w.timer);
    this.channels.clear();
  }

  /** Sends what is pending, then cools down; a quiet cool-down forgets the channel. */
  private flush(channel: string, window: ChannelWindow): void {
    if (window.pending.size === 0) {
      this.channels.delete(channel);
      return;
    }
    const joined: string[] = [];
    const left: string[] = [];
    for (const [user, { was, is }] of window.pending) {
      if (was !== is) (is ? joined : left).push(user);
    }
    window.pending.clear();
    if (joined.length || left.length) {
      this.emit({ channel, joined: joined.sort(), left: left.sort() });
    }
    window.timer = setTimeout(() => {
      window.timer = undefined;
      this.flush(channel, window);
    }, this.intervalMs);
  }
}
