import { withDeadline } from "../../../../shared/async/deadline.ts";
import type { Logger } from "../../../../shared/logging/logger.ts";
import type { People, ProfileChanges } from "../ports/people.ts";
import type { LocalSockets } from "./user_presence.ts";

/** Renames gather this long before one lookup: a burst of them costs one pair of queries. */
const BATCH_MS = 250;
/** Stopping does not wait longer than this for the store to hear the unlisten. */
const STOP_MS = 2_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Display name changes to the open pages that show them: the store announces each change (auth
 * only writes the row), and every instance tells its own sockets of the users who share a channel
 * with the renamed user, and the user's own other sockets, with a `profile` frame.
 */
export class ProfileRelay {
  private readonly pending = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopListening: (() => Promise<void>) | undefined;

  constructor(
    private readonly changes: ProfileChanges,
    private readonly people: People,
    private readonly sockets: LocalSockets,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.stopListening = await this.changes.listen((id) => {
      if (!UUID.test(id)) return;
      this.pending.add(id);
      this.timer ??= setTimeout(() => void this.flush(), BATCH_MS);
    });
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const stopping = this.stopListening?.();
    if (!stopping) return;
    await withDeadline(stopping, STOP_MS, () => new Error("unlisten timed out")).catch((err) =>
      this.logger.warn("profile changes still listened to", { err })
    );
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const ids = [...this.pending];
    this.pending.clear();
    const local = this.sockets.users();
    if (local.length === 0) return;
    try {
      const [names, pairs] = await Promise.all([
        this.people.displayNames(ids),
        this.people.audience(ids, local, false),
      ]);
      const here = new Set(local);
      const told = [...pairs, ...ids.filter((id) => here.has(id)).map((id) => [id, id])];
      for (const [watcher, subject] of told) {
        const displayName = names.get(subject);
        if (displayName) this.sockets.send(watcher, { type: "profile", id: subject, displayName });
      }
    } catch (err) {
      this.logger.warn("profile change not relayed", { err });
    }
  }
}
