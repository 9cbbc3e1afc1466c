/**
 * What a WebSocket has been handed but not yet written out, in bytes and in frames. The socket
 * only reports bytes (`bufferedAmount`, which drops by a whole write as each goes out, oldest
 * first), so each write's size and frame count are kept in order and retired as the bytes go.
 * A write may carry several frames (a batch, or several rtm.v1 frames sent in one turn).
 *
 * Every method takes the socket's current `bufferedAmount`: reading it is a call into the
 * runtime, so a sender reads it once per write and hands the value on.
 */
export class SendBacklog {
  /** Pairs of (bytes, frames) per write, oldest first from `head`; allocated on first use. */
  private writes: number[] | undefined;
  private head = 0;
  private queuedBytes = 0;
  private queuedFrames = 0;

  /** Frames not yet written out. */
  frames(buffered: number): number {
    this.retireWritten(buffered);
    return this.queuedFrames;
  }

  /** Records one write of `frames` frames and `size` bytes the socket just took. */
  queued(size: number, frames: number, buffered: number): void {
    this.retireWritten(buffered);
    (this.writes ??= []).push(size, frames);
    this.queuedBytes += size;
    this.queuedFrames += frames;
  }

  private retireWritten(buffered: number): void {
    const writes = this.writes;
    if (!writes) return;
    let written = this.queuedBytes - buffered;
    while (this.head < writes.length && writes[this.head] <= written) {
      written -= writes[this.head];
      this.queuedBytes -= writes[this.head];
      this.queuedFrames -= writes[this.head + 1];
      this.head += 2;
    }
    // An idle socket keeps no array at all; a busy one drops what was retired now and then.
    if (this.head === writes.length) {
      this.writes = undefined;
      this.head = 0;
    } else if (this.head > 2048 && this.head * 2 > writes.length) {
      this.writes = writes.slice(this.head);
      this.head = 0;
    }
  }
}
