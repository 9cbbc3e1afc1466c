import { setImmediate } from "node:timers";
import { SendBacklog } from "./send_backlog.ts";

export interface SenderLimits {
  /** Bytes queued in the socket beyond which the peer is a slow consumer and is cut off. */
  maxBufferedBytes: number;
  /** Frames queued in the socket beyond which the same happens. */
  maxQueuedFrames: number;
}

/**
 * A batch stops growing past this many characters (a single larger frame still goes whole): a
 * client reading with a message-size limit (64 KiB is a common default) gets batches it can read.
 */
const MAX_BATCH_CHARS = 60_000;
const DRAIN_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 5;

/** Senders with frames waiting for the end of this turn; one flush for all of them. */
let waiting: SocketSender[] = [];

function flushAll(): void {
  const senders = waiting;
  waiting = [];
  for (const s of senders) s.flush();
}

/**
 * Writes one socket's frames. Frames handed over during an event-loop turn are written together
 * when the turn ends (one `setImmediate` for every socket): a stored batch fans out as one write
 * per socket rather than one per message, and under `rtm.v2` as one WebSocket frame whose lines
 * are the JSON frames. Under `rtm.v1` each frame stays a WebSocket frame of its own.
 *
 * Back-pressure is judged at that write: whatever the socket still holds then was left from
 * earlier turns, so a peer holding more than the limits is a slow consumer and is cut off
 * (`owner.slow`) instead of growing the process without bound.
 */
export class SocketSender {
  /** Frames handed over this turn, not yet written; absent while there are none. */
  private queue: string[] | undefined;
  /** UTF-16 length of the queued frames: what a turn holds counts toward the byte bound too. */
  private queuedChars = 0;
  private backlog = new SendBacklog();

  constructor(
    private readonly socket: WebSocket,
    private readonly batched: boolean,
    private readonly limits: SenderLimits,
    /** Told when the peer is a slow consumer (the owner cuts it off). */
    private readonly owner: { slow(): void },
  ) {}

  /** Queues a serialized frame for the end of this turn. */
  send(json: string): void {
    this.queuedChars += json.length;
    if (this.queue) {
      this.queue.push(json);
      return;
    }
    this.queue = [json];
    if (waiting.push(this) === 1) setImmediate(flushAll);
  }

  /** Writes what this turn queued (also called before a close, so nothing queued is lost). */
  flush(): void {
    const queue = this.queue;
    if (!queue) return;
    this.queue = undefined;
    this.queuedChars = 0;
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const before = this.socket.bufferedAmount;
    if (
      before > this.limits.maxBufferedBytes ||
      this.backlog.frames(before) > this.limits.maxQueuedFrames
    ) {
      this.owner.slow();
      return;
    }
    if (this.batched) this.sendBatches(queue);
    else for (const json of queue) this.socket.send(json);
    const after = this.socket.bufferedAmount;
    this.backlog.queued(after - before, queue.length, after);
  }

  /** rtm.v2: the queue's frames as lines, a WebSocket frame per MAX_BATCH_CHARS or so. */
  private sendBatches(queue: string[]): void {
    if (queue.length === 1) return this.socket.send(queue[0]);
    let from = 0;
    let chars = 0;
    for (let i = 0; i < queue.length; i++) {
      if (i > from && chars + queue[i].length > MAX_BATCH_CHARS) {
        this.socket.send(queue.slice(from, i).join("\n"));
        from = i;
        chars = 0;
      }
      chars += queue[i].length + 1;
    }
    this.socket.send(queue.slice(from).join("\n"));
  }

  /**
   * Resolves true once the peer has taken most of what was queued (below half of either bound),
   * so bulk senders pace themselves; a peer that takes nothing for DRAIN_TIMEOUT_MS is cut off
   * as a slow consumer and this resolves false.
   */
  async writable(open: () => boolean): Promise<boolean> {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (open()) {
      const buffered = this.socket.bufferedAmount;
      if (
        buffered + this.queuedChars <= this.limits.maxBufferedBytes / 2 &&
        this.backlog.frames(buffered) + (this.queue?.length ?? 0) <=
          this.limits.maxQueuedFrames / 2
      ) break;
      if (Date.now() > deadline) {
        this.owner.slow();
        return false;
      }
      await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
    }
    return open();
  }
}
