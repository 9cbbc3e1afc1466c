/**
 * Deno drops a server's close frame when a client frame is already on its way in as close() is
 * called (the client then sees an abnormal closure with no code). So a close first stops handling
 * frames, then picks its moment: when the peer has been quiet for CLOSE_QUIET_MS, or right after
 * a frame of a paced sender (the last PACED_FRAMES frames each came alone, PACED_GAP_MS or more
 * apart, so the next one is likely as far off; a buffered burst read by a busy process can show
 * one such gap, rarely several), and at the latest after CLOSE_WAIT_MS. A client that never
 * pauses is still cut off, only without a readable code.
 */
const CLOSE_QUIET_MS = 50;
const PACED_GAP_MS = 10;
const PACED_FRAMES = 3;
const CLOSE_WAIT_MS = 1_000;
const CLOSE_RETRY_MS = 10;

/** One socket's close, timed so the peer reads its code (see above). */
export class GracefulClose {
  private lastFrameAt = 0;
  /** Consecutive frames that each arrived PACED_GAP_MS or more after the previous one. */
  private pacedFrames = 0;
  /** The close under way; its timer runs only while one is (no timer for an open socket). */
  private pending:
    | { code: number; reason: string; timer?: ReturnType<typeof setTimeout> }
    | undefined;

  /** `sender.flush` runs just before the close frame goes, so nothing queued is lost. */
  constructor(private readonly socket: WebSocket, private readonly sender: { flush(): void }) {}

  get closing(): boolean {
    return this.pending !== undefined;
  }

  /** Notes an incoming frame; closes now if a close was waiting for a paced sender's frame. */
  heard(): void {
    const now = performance.now();
    this.pacedFrames = now - this.lastFrameAt >= PACED_GAP_MS ? this.pacedFrames + 1 : 0;
    this.lastFrameAt = now;
    if (this.pending && this.pacedFrames >= PACED_FRAMES) this.closeNow();
  }

  close(code: number, reason: string): void {
    if (this.pending || this.socket.readyState > WebSocket.OPEN) return;
    const pending: { code: number; reason: string; timer?: ReturnType<typeof setTimeout> } = {
      code,
      reason,
    };
    this.pending = pending;
    const giveUpAt = performance.now() + CLOSE_WAIT_MS;
    const attempt = () => {
      const now = performance.now();
      const waiting = this.socket.readyState === WebSocket.CONNECTING ||
        now - this.lastFrameAt < CLOSE_QUIET_MS;
      if (waiting && now < giveUpAt) pending.timer = setTimeout(attempt, CLOSE_RETRY_MS);
      else this.closeNow();
    };
    attempt();
  }

  /** The socket closed (either side): no attempt left to make. */
  closed(): void {
    clearTimeout(this.pending?.timer);
  }

  private closeNow(): void {
    const pending = this.pending!;
    clearTimeout(pending.timer);
    if (this.socket.readyState > WebSocket.OPEN) return;
    this.sender.flush();
    this.socket.close(pending.code, pending.reason);
  }
}
