/** Event-loop turns so far, advanced by one timer shared by every backlog. */
let turn = 0;
let turnEnding = false;

/**
 * The current turn, arming the timer that ends it. One timer per turn for all sockets, not one
 * per socket: a broadcast to 10,000 sockets would otherwise arm 10,000 timers.
 */
function currentTurn(): number {
  if (!turnEnding) {
    turnEnding = true;
    setTimeout(() => {
      turn++;
      turnEnding = false;
    }, 0);
  }
  return turn;
}

/**
 * What a WebSocket has been handed but not yet written out, in bytes and in frames. The socket
 * only reports bytes (`bufferedAmount`, which drops by a whole frame as each is written, oldest
 * first), so frame sizes are kept in order and retired as the bytes go.
 *
 * Frames queued in the current event-loop turn are a burst still on its way out (even to a fast
 * reader, a stored batch goes out in one turn); `earlier*` leaves them out, so only what the peer
 * left from previous turns counts against it.
 */
export class SendBacklog {
  private sizes: number[] = [];
  private head = 0;
  private queuedBytes = 0;
  private burstBytes = 0;
  private burstFrames = 0;
  /** The turn the burst counters belong to; from a later turn they count as zero. */
  private burstTurn = -1;

  // Every method takes the socket's current `bufferedAmount`: reading it is a call into the
  // runtime, so a send reads it twice (before and after) and hands the value on.

  /** Frames not yet written out. */
  frames(buffered: number): number {
    this.retireWritten(buffered);
    return this.sizes.length - this.head;
  }

  /** Frames not written out that were queued before this turn. */
  earlierFrames(buffered: number): number {
    return this.frames(buffered) - (this.burstTurn === turn ? this.burstFrames : 0);
  }

  /** Bytes not written out that were queued before this turn. */
  earlierBytes(buffered: number): number {
    return buffered - (this.burstTurn === turn ? this.burstBytes : 0);
  }

  /** Records one frame the socket just took, of `size` bytes. */
  queued(size: number, buffered: number): void {
    this.retireWritten(buffered);
    this.sizes.push(size);
    this.queuedBytes += size;
    const now = currentTurn();
    if (this.burstTurn !== now) {
      this.burstTurn = now;
      this.burstBytes = 0;
      this.burstFrames = 0;
    }
    this.burstBytes += size;
    this.burstFrames++;
  }

  private retireWritten(buffered: number): void {
    let written = this.queuedBytes - buffered;
    while (this.head < this.sizes.length && this.sizes[this.head] <= written) {
      written -= this.sizes[this.head];
      this.queuedBytes -= this.sizes[this.head];
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.sizes.length) {
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }
}
