import { AppError } from "../../../../../shared/errors.ts";
import type { Principal } from "../../../../../shared/ports/tokens.ts";
import {
  type ServerFrame,
  SharedFrame,
  type SubscribedFrame,
} from "../../../../../shared/protocol/frames.ts";
import type { Subscriber } from "../../../domain/ports/subscriber.ts";
import type { SseCursor } from "./cursor.ts";

const encoder = new TextEncoder();
const KEEPALIVE = encoder.encode(": keep-alive\n\n");

export interface StreamHost {
  /** Bytes queued for the peer beyond which it is a slow consumer and is cut off. */
  readonly maxBufferedBytes: number;
  slowConsumer(stream: SseStream): void;
  /** The stream ended (peer gone, cut off, expired or drained): forget it. */
  ended(stream: SseStream): void;
}

/**
 * One `text/event-stream` response as the delivery domain sees it: a Subscriber whose frames are
 * the WebSocket's JSON frames as `data:` lines. Message and `subscribed` frames carry the stream's
 * cursor as their `id:`, so a reconnect with `Last-Event-ID` resumes every channel exactly.
 */
export class SseStream implements Subscriber {
  readonly id = crypto.randomUUID();
  readonly body: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private done = false;
  /** Replays waiting for the peer to take what is queued (see `writable`). */
  private waiters: ((ok: boolean) => void)[] = [];

  constructor(
    readonly principal: Principal,
    private readonly cursor: SseCursor,
    /** Per channel, the `since` its subscription resumed from (absent: from the head). */
    private readonly resumedFrom: ReadonlyMap<string, number>,
    private readonly host: StreamHost,
  ) {
    this.body = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.controller = c;
      },
      pull: () => this.wake(),
      cancel: () => this.end(),
    }, new ByteLengthQueuingStrategy({ highWaterMark: host.maxBufferedBytes }));
  }

  get userId(): string {
    return this.principal.userId;
  }

  get open(): boolean {
    return !this.done;
  }

  send(frame: ServerFrame | SharedFrame): boolean {
    if (this.done) return false;
    const f = frame instanceof SharedFrame ? frame.frame : frame;
    const json = frame instanceof SharedFrame ? frame.json : JSON.stringify(frame);
    const id = f.type === "message"
      ? this.cursor.advance(f.channel, f.seq)
      : f.type === "subscribed"
      ? this.cursor.advance(f.channel, this.startOf(f))
      : undefined;
    const ok = this.write(
      encoder.encode(id ? `id: ${id}\ndata: ${json}\n\n` : `data: ${json}\n\n`),
    );
    // A subscription ended (revoked, interrupted): so does the stream, whose reconnect with
    // Last-Event-ID then resumes every channel it may still read.
    if (ok && f.type === "error" && f.channel) this.close();
    return ok;
  }

  /** Where a subscription starts: its resume point when recovered, else the channel's head. */
  private startOf(f: SubscribedFrame): number {
    return f.recovered ? this.resumedFrom.get(f.channel) ?? f.lastSeq : f.lastSeq;
  }

  /** A comment line: keeps proxies from timing the stream out and finds peers that vanished. */
  keepAlive(): void {
    if (!this.done) this.write(KEEPALIVE);
  }

  writable(): Promise<boolean> {
    if (this.done) return Promise.resolve(false);
    if (this.queued() <= this.host.maxBufferedBytes / 2) return Promise.resolve(true);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends the stream after what is queued (drain, token expiry); the client reconnects. */
  close(last?: ServerFrame): void {
    if (this.done) return;
    if (last) this.send(last);
    if (this.done) return; // `last` ended it
    this.controller.close();
    this.end();
  }

  private write(chunk: Uint8Array): boolean {
    this.controller.enqueue(chunk);
    if (this.queued() <= this.host.maxBufferedBytes) return true;
    // Cut off rather than buffer without bound; the client resumes from its Last-Event-ID.
    this.host.slowConsumer(this);
    this.controller.error(new AppError("RATE_LIMITED", "slow consumer: cut off"));
    this.end();
    return false;
  }

  private queued(): number {
    return this.host.maxBufferedBytes - (this.controller.desiredSize ?? 0);
  }

  /** The peer took some: replays waiting for room go on once half the buffer is free. */
  private wake(): void {
    if (!this.waiters.length || this.queued() > this.host.maxBufferedBytes / 2) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(true);
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    for (const w of this.waiters) w(false);
    this.waiters = [];
    this.host.ended(this);
  }
}
