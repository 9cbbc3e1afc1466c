import type { ServerFrame } from "../../shared/protocol/frames.ts";
import { backoff, ReconnectingSocket } from "./reconnecting_socket.ts";

/** What one subscriber saw of one channel, in arrival order. */
export interface ChannelLog {
  seqs: number[];
  clientMsgIds: string[];
  /** The same clientMsgIds as a set, for quick "has it arrived" checks. */
  seen: Set<string>;
  lastSeq: number;
  /** A seq at or below the last one seen (a duplicate delivery). */
  repeats: number;
  /** A seq beyond last+1 (a hole the server should have filled first). */
  gaps: number;
  /** Subscriptions answered with recovered:false. */
  unrecovered: number;
}

/**
 * A subscriber that behaves as the SDK promises: on every (re)connect, to any consumer instance,
 * it subscribes to each channel with `since` = the last seq it saw; when the server interrupts a
 * subscription it resubscribes the same way. It records every message frame for reconciliation.
 */
export class RecordingSubscriber {
  readonly logs = new Map<string, ChannelLog>();
  private readonly socket: ReconnectingSocket;
  private requests = 0;
  /** Resolves per channel when a subscribed frame arrives (first subscription only). */
  private readonly ready = new Map<string, () => void>();
  private readonly readyPromises: Promise<void>[] = [];

  constructor(urls: string[], token: string, readonly channels: string[]) {
    for (const c of channels) {
      this.logs.set(c, {
        seqs: [],
        clientMsgIds: [],
        seen: new Set(),
        lastSeq: 0,
        repeats: 0,
        gaps: 0,
        unrecovered: 0,
      });
      this.readyPromises.push(new Promise((r) => this.ready.set(c, r)));
    }
    this.socket = new ReconnectingSocket(urls, token, {
      onOpen: () => channels.forEach((c) => this.subscribe(c)),
      onFrame: (f) => this.onFrame(f),
    });
  }

  /** Connects and waits until every channel is subscribed. */
  async connect(): Promise<void> {
    await this.socket.start();
    await Promise.all(this.readyPromises);
  }

  get reconnects(): number {
    return this.socket.reconnects;
  }

  /** Whether this subscriber has seen `seq` on `channel` (or more). */
  reached(channel: string, seq: number): boolean {
    return (this.logs.get(channel)?.lastSeq ?? 0) >= seq;
  }

  close(): void {
    this.socket.close();
  }

  private subscribe(channel: string, attempt = 0): void {
    const since = this.logs.get(channel)!.lastSeq;
    // Not open: the next onOpen subscribes again.
    this.socket.send({
      id: `s${++this.requests}:${attempt}:${channel}`,
      type: "subscribe",
      channel,
      since,
    });
  }

  private onFrame(frame: ServerFrame): void {
    if (frame.type === "message") {
      const log = this.logs.get(frame.channel);
      if (!log) return;
      if (frame.seq <= log.lastSeq) log.repeats++;
      else if (frame.seq > log.lastSeq + 1) log.gaps++;
      log.seqs.push(frame.seq);
      log.clientMsgIds.push(frame.clientMsgId);
      log.seen.add(frame.clientMsgId);
      log.lastSeq = Math.max(log.lastSeq, frame.seq);
      return;
    }
    if (frame.type === "subscribed") {
      if (!frame.recovered) this.logs.get(frame.channel)!.unrecovered++;
      this.ready.get(frame.channel)?.();
      return;
    }
    if (frame.type === "error") {
      // A refused or interrupted subscription (UNAVAILABLE while a store is down, …): retry it.
      const channel = typeof frame.id === "string" ? frame.id.split(":").slice(2).join(":") : "";
      const interrupted = (frame as { channel?: string }).channel ??
        frame.message.match(/subscription to (\S+)/)?.[1];
      const target = this.logs.has(channel) ? channel : interrupted;
      if (!target || !this.logs.has(target)) return;
      const attempt = typeof frame.id === "string" ? Number(frame.id.split(":")[1]) + 1 : 0;
      setTimeout(() => this.subscribe(target, attempt), backoff(Math.min(attempt, 5)));
    }
  }
}
