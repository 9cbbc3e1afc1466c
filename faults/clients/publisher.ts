import type { ErrorCode } from "../../shared/errors.ts";
import type { AckFrame, ServerFrame } from "../../shared/protocol/frames.ts";
import { backoff, ReconnectingSocket } from "./reconnecting_socket.ts";

/** Codes after which the same publish may succeed later; anything else is the caller's mistake. */
const RETRYABLE: ErrorCode[] = ["UNAVAILABLE", "RATE_LIMITED", "INTERNAL"];
/** A publish with no reply in this time is sent again (the socket may be half dead). */
const REPLY_TIMEOUT_MS = 5_000;

export class PublishRejected extends Error {
  constructor(readonly code: string, message: string) {
    super(`${code}: ${message}`);
  }
}

interface Pending {
  channel: string;
  clientMsgId: string;
  body: string;
  attempts: number;
  deadline: number;
  timer?: ReturnType<typeof setTimeout>;
  resolve(ack: AckFrame): void;
  reject(err: Error): void;
}

/**
 * A publishing client that behaves as the SDK promises (issue 6): it picks the clientMsgId,
 * resends the same clientMsgId after a disconnect, UNAVAILABLE or a silent timeout, and settles
 * only on an ack or a non-retryable error. The fault suite's stand-in until web/sdk/ lands.
 */
export class ResilientPublisher {
  private readonly pending = new Map<string, Pending>();
  private readonly socket: ReconnectingSocket;
  retries = 0;

  constructor(urls: string[], token: string, private readonly giveUpAfterMs = 120_000) {
    this.socket = new ReconnectingSocket(urls, token, {
      onOpen: () => {
        for (const p of this.pending.values()) this.send(p);
      },
      onFrame: (f) => this.onFrame(f),
    });
  }

  connect(): Promise<void> {
    return this.socket.start();
  }

  get reconnects(): number {
    return this.socket.reconnects;
  }

  publish(channel: string, body: string, clientMsgId = crypto.randomUUID()): Promise<AckFrame> {
    return new Promise((resolve, reject) => {
      const p: Pending = {
        channel,
        clientMsgId,
        body,
        attempts: 0,
        deadline: Date.now() + this.giveUpAfterMs,
        resolve,
        reject,
      };
      this.pending.set(clientMsgId, p);
      this.send(p);
    });
  }

  close(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error("publisher closed"));
    }
    this.pending.clear();
    this.socket.close();
  }

  private send(p: Pending): void {
    clearTimeout(p.timer);
    if (Date.now() > p.deadline) {
      this.pending.delete(p.clientMsgId);
      p.reject(new Error(`no ack for ${p.clientMsgId} after ${p.attempts} attempts`));
      return;
    }
    if (p.attempts++ > 0) this.retries++;
    // Sent now if the socket is open; otherwise the reconnect's onOpen sends it.
    this.socket.send({
      id: p.clientMsgId,
      type: "publish",
      channel: p.channel,
      clientMsgId: p.clientMsgId,
      body: p.body,
    });
    p.timer = setTimeout(() => this.pending.has(p.clientMsgId) && this.send(p), REPLY_TIMEOUT_MS);
  }

  private onFrame(frame: ServerFrame): void {
    if (frame.type !== "ack" && frame.type !== "error") return;
    const p = frame.id === undefined ? undefined : this.pending.get(String(frame.id));
    if (!p) return;
    clearTimeout(p.timer);
    if (frame.type === "ack") {
      this.pending.delete(p.clientMsgId);
      p.resolve(frame);
    } else if (RETRYABLE.includes(frame.code)) {
      p.timer = setTimeout(() => this.send(p), backoff(Math.min(p.attempts, 5)));
    } else {
      this.pending.delete(p.clientMsgId);
      p.reject(new PublishRejected(frame.code, frame.message));
    }
  }
}
