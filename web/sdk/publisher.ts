import type { AckFrame, ServerFrame } from "./wire.ts";
import { backoffDelay, type BackoffPolicy } from "./backoff.ts";
import { RtmError } from "./errors.ts";

export interface PublishOptions {
  /** The idempotency key; give the one of an earlier attempt to retry it without a duplicate. */
  clientMsgId?: string;
}

export interface PublisherOptions {
  backoff: BackoffPolicy;
  /** A publish not acknowledged by then is rejected with UNAVAILABLE. */
  timeoutMs: number;
  /** Frames larger than the producer accepts are refused here, not by closing the socket. */
  maxFrameBytes: number;
}

interface Pending {
  frame: { id: string; type: "publish"; channel: string; clientMsgId: string; body: string };
  attempts: number;
  resolve(ack: AckFrame): void;
  reject(err: RtmError): void;
  timeout: ReturnType<typeof setTimeout>;
  retry?: ReturnType<typeof setTimeout>;
}

/**
 * Publishes and their acknowledgements. A publish stays pending until acked: it is resent after a
 * reconnect or an UNAVAILABLE reply with the same clientMsgId, so the server drops any duplicate;
 * a definite refusal (INVALID, FORBIDDEN, TOO_LARGE, RATE_LIMITED) rejects with the server's code.
 */
export class Publisher {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly send: (frame: unknown) => boolean,
    private readonly opts: PublisherOptions,
  ) {}

  publish(channel: string, body: string, options: PublishOptions = {}): Promise<AckFrame> {
    const clientMsgId = options.clientMsgId ?? crypto.randomUUID();
    // The request id is the clientMsgId: replies correlate without a second table.
    const frame = { id: clientMsgId, type: "publish" as const, channel, clientMsgId, body };
    if (new TextEncoder().encode(JSON.stringify(frame)).length > this.opts.maxFrameBytes) {
      return Promise.reject(new RtmError("TOO_LARGE", "message too large"));
    }
    if (this.pending.has(clientMsgId)) {
      return Promise.reject(new RtmError("INVALID", `publish ${clientMsgId} is already pending`));
    }
    return new Promise<AckFrame>((resolve, reject) => {
      const p: Pending = {
        frame,
        attempts: 0,
        resolve,
        reject,
        timeout: setTimeout(
          () =>
            this.settle(
              p,
              new RtmError("UNAVAILABLE", "not acknowledged in time; retry with its clientMsgId"),
            ),
          this.opts.timeoutMs,
        ),
      };
      this.pending.set(clientMsgId, p);
      this.send(frame);
    });
  }

  /** The producer socket (re)opened: everything unacknowledged goes again, in order. */
  resendAll(): void {
    for (const p of this.pending.values()) {
      if (p.retry === undefined) this.send(p.frame);
    }
  }

  /** A producer frame; returns false when it was not a reply to a publish. */
  onFrame(frame: ServerFrame): boolean {
    if ((frame.type !== "ack" && frame.type !== "error") || typeof frame.id !== "string") {
      return false;
    }
    const p = this.pending.get(frame.id);
    if (!p) return frame.type === "ack";
    if (frame.type === "ack") {
      this.settle(p, frame);
    } else if (frame.code === "UNAVAILABLE") {
      clearTimeout(p.retry);
      p.retry = setTimeout(() => {
        p.retry = undefined;
        this.send(p.frame);
      }, backoffDelay(p.attempts++, this.opts.backoff));
    } else {
      this.settle(p, new RtmError(frame.code, frame.message));
    }
    return true;
  }

  /** Rejects everything still pending (the client is closing). */
  close(): void {
    for (const p of [...this.pending.values()]) {
      this.settle(p, new RtmError("UNAVAILABLE", "client closed"));
    }
  }

  private settle(p: Pending, result: AckFrame | RtmError): void {
    clearTimeout(p.timeout);
    clearTimeout(p.retry);
    this.pending.delete(p.frame.clientMsgId);
    if (result instanceof RtmError) p.reject(result);
    else p.resolve(result);
  }
}
