import { CloseCode } from "../protocol/frames.ts";
import type { Connection } from "./ws_connection.ts";

/**
 * The open sockets of a process: how many in all and per user (for the caps), and the drain that
 * closes them all with 1001 (going away) so clients reconnect elsewhere.
 */
export class SocketRegistry {
  private readonly connections = new Set<Connection>();
  private readonly perUser = new Map<string, number>();
  private emptied: (() => void) | undefined;
  draining = false;

  constructor(private readonly onSize: (n: number) => void) {}

  get size(): number {
    return this.connections.size;
  }

  countFor(userId: string): number {
    return this.perUser.get(userId) ?? 0;
  }

  /** The open sockets of one user. */
  *of(userId: string): Iterable<Connection> {
    for (const c of this.connections) if (c.principal.userId === userId) yield c;
  }

  add(c: Connection): void {
    this.connections.add(c);
    this.perUser.set(c.principal.userId, this.countFor(c.principal.userId) + 1);
    this.onSize(this.connections.size);
  }

  /** False when `c` was not registered (already removed). */
  remove(c: Connection): boolean {
    if (!this.connections.delete(c)) return false;
    const left = this.countFor(c.principal.userId) - 1;
    if (left <= 0) this.perUser.delete(c.principal.userId);
    else this.perUser.set(c.principal.userId, left);
    this.onSize(this.connections.size);
    if (this.connections.size === 0) this.emptied?.();
    return true;
  }

  /** Closes every socket and resolves once all have closed (or after `timeoutMs`). */
  async closeAll(reason: string, timeoutMs: number): Promise<void> {
    this.draining = true;
    for (const c of this.connections) c.close(CloseCode.GOING_AWAY, reason);
    if (this.connections.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.emptied = resolve;
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    this.emptied = undefined;
  }
}
