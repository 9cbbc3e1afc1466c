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

  constructor(private readonly bufferedAmount: () => number) {}

  get frames(): number {
    this.retireWritten();
    return this.sizes.length - this.head;
  }

  get bytes(): number {
    return this.bufferedAmount();
  }

  get earlierFrames(): number {
    return this.frames - (this.burstTurn === turn ? this.burstFrames : 0);
  }

  get earlierBytes(): number {
    return this.bufferedAmount() - (this.burstTurn === turn ? this.burstBytes : 0);
  }

  /** Records one frame the socket just took, of `size` bytes. */
  queued(size: number): void {
    this.retireWritten();
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

  private retireWritten(): void {
    let written = this.queuedBytes - this.bufferedAmount();
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
