import type { ServerFrame } from "./wire.ts";
import type { Profile, Profiles } from "./profiles.ts";

/** A user's presence across channels: online anywhere, and when their last socket closed. */
export interface UserPresence {
  id: string;
  online: boolean;
  /** ISO 8601; null while not known (online, or never recorded). */
  lastSeen: string | null;
}

/** The presence API's batch limit. */
const BATCH = 100;

/**
 * What the server pushes about people rather than channels: DM partners coming online or going
 * offline, and display names changing. A name change also updates the profile cache, so a page
 * that renders names from it shows the new one on its next render. Pushes are at-most-once, so
 * after a reconnect every user asked about so far is asked again, the answers told as pushes.
 */
export class PeopleEvents {
  private readonly presenceListeners = new Set<(users: UserPresence[]) => void>();
  private readonly profileListeners = new Set<(profile: Profile) => void>();
  private readonly asked = new Set<string>();
  private opened = false;

  constructor(
    private readonly profiles: Profiles,
    private readonly ask: (ids: string[]) => Promise<UserPresence[]>,
  ) {}

  presence(ids: string[]): Promise<UserPresence[]> {
    for (const id of ids) this.asked.add(id);
    return this.ask(ids);
  }

  /** The socket (re)opened: after the first time, what was missed meanwhile is asked again. */
  socketOpened(): void {
    if (!this.opened) {
      this.opened = true;
      return;
    }
    const ids = [...this.asked];
    for (let i = 0; i < ids.length; i += BATCH) {
      this.ask(ids.slice(i, i + BATCH)).then((users) => this.tell(users), () => {});
    }
  }

  /** Handles the frame if it is one of these; false otherwise. */
  onFrame(f: ServerFrame): boolean {
    if (f.type === "user_presence") {
      const users = f.users.map((u) => ({
        id: u.id,
        online: u.online,
        lastSeen: u.lastSeen ?? null,
      }));
      this.tell(users);
      return true;
    }
    if (f.type === "profile") {
      const profile = { id: f.id, displayName: f.displayName };
      this.profiles.remember(profile);
      for (const listen of this.profileListeners) listen(profile);
      return true;
    }
    return false;
  }

  private tell(users: UserPresence[]): void {
    for (const listen of this.presenceListeners) listen(users);
  }

  onUserPresence(listener: (users: UserPresence[]) => void): () => void {
    this.presenceListeners.add(listener);
    return () => this.presenceListeners.delete(listener);
  }

  onProfile(listener: (profile: Profile) => void): () => void {
    this.profileListeners.add(listener);
    return () => this.profileListeners.delete(listener);
  }
}
