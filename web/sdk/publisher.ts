import type { AckFrame, EventKind, ServerFrame } from "./wire.ts";
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

/**
 * Publishes in flight at most: a refusal can only come back for this many at once (the producer
 * closes a socket that collects too many RATE_LIMITED answers), and it is plenty to fill a
 * connection's pipeline.
 */
const MAX_IN_FLIGHT = 64;

interface Pending {
  frame: {
    id: string;
    type: "publish";
    channel: string;
    clientMsgId: string;
    body: string;
    kind?: EventKind;
    target?: number;
  };
  /** Sent on the current socket and not answered yet. */
  inFlight: boolean;
  /** An event after an UNAVAILABLE answer: its UNAVAILABLE answers so far, and not sent before. */
  unavailable: number;
  notBefore: number;
  resolve(ack: AckFrame): void;
  reject(err: RtmError): void;
  timeout: ReturnType<typeof setTimeout>;
}

/**
 * Publishes and their acknowledgements. A publish stays pending until acked or definitely refused
 * (INVALID, FORBIDDEN, TOO_LARGE: rejected with the server's code). Everything else is sent again
 * with the same clientMsgId, so the server drops any duplicate: after a reconnect, and after an
 * UNAVAILABLE or RATE_LIMITED answer, once the wait the server named (`retryAfterMs`) or a
 * backoff has passed. Sending is paced and ordered: pending publishes go in the order they were
 * made, at most `window` unanswered at a time; the window is one after a reconnect or a refusal
 * and doubles with each ack up to MAX_IN_FLIGHT, so a backlog is not resent all at once into the
 * producer's rate limit. One exception to the order: an event (edit, delete, reaction) answered
 * UNAVAILABLE holds back only itself, retried after its own backoff, since the producer reads its
 * target from PostgreSQL, which messages do not need: a database outage must not stop the messages
 * made after it.
 */
export class Publisher {
  private readonly pending = new Map<string, Pending>();
  private window = MAX_IN_FLIGHT;
  private inFlight = 0;
  /** While set, nothing is sent: the wait after a refusal. */
  private waiting: ReturnType<typeof setTimeout> | undefined;
  /** Refusals in a row, for the backoff. */
  private refusals = 0;
  /** Wakes the pump when the earliest held-back UNAVAILABLE publish may go again. */
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: (frame: unknown) => boolean,
    private readonly opts: PublisherOptions,
  ) {}

  /** A message, or with `event` an edit, delete or reaction of the message at its target seq. */
  publish(
    channel: string,
    body: string,
    options: PublishOptions = {},
    event?: { kind: EventKind; target: number },
  ): Promise<AckFrame> {
    const clientMsgId = options.clientMsgId ?? crypto.randomUUID();
    // The request id is the clientMsgId: replies correlate without a second table.
    const frame = {
      id: clientMsgId,
      type: "publish" as const,
      channel,
      clientMsgId,
      body,
      ...event,
    };
    if (new TextEncoder().encode(JSON.stringify(frame)).length > this.opts.maxFrameBytes) {
      return Promise.reject(new RtmError("TOO_LARGE", "message too large"));
    }
    if (this.pending.has(clientMsgId)) {
      return Promise.reject(new RtmError("INVALID", `publish ${clientMsgId} is already pending`));
    }
    return new Promise<AckFrame>((resolve, reject) => {
      const p: Pending = {
        frame,
        inFlight: false,
        unavailable: 0,
        notBefore: 0,
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
      this.pump();
    });
  }

  /** The producer socket (re)opened: everything unacknowledged goes again, in order, paced. */
  resendAll(): void {
    for (const p of this.pending.values()) p.inFlight = false;
    this.inFlight = 0;
    if (this.pending.size > 0) this.window = 1;
    this.pump();
  }

  /** A producer frame; returns false when it was not a reply to a publish. */
  onFrame(frame: ServerFrame): boolean {
    if ((frame.type !== "ack" && frame.type !== "error") || typeof frame.id !== "string") {
      return false;
    }
    const p = this.pending.get(frame.id);
    if (!p) return frame.type === "ack";
    if (frame.type === "ack") {
      this.refusals = 0;
      this.window = Math.min(MAX_IN_FLIGHT, this.window * 2);
      this.settle(p, frame);
    } else if (frame.code === "UNAVAILABLE" && p.frame.kind) {
      this.answered(p);
      p.notBefore = Date.now() + backoffDelay(p.unavailable++, this.opts.backoff);
      this.pump();
    } else if (frame.code === "UNAVAILABLE" || frame.code === "RATE_LIMITED") {
      this.answered(p);
      this.window = 1;
      this.waitBeforeSending(
        frame.retryAfterMs ?? backoffDelay(this.refusals++, this.opts.backoff),
      );
    } else {
      this.settle(p, new RtmError(frame.code, frame.message));
    }
    return true;
  }

  /** Rejects everything still pending (the client is closing). */
  close(): void {
    clearTimeout(this.waiting);
    this.waiting = undefined;
    clearTimeout(this.retryTimer);
    for (const p of [...this.pending.values()]) {
      this.settle(p, new RtmError("UNAVAILABLE", "client closed"));
    }
  }

  /**
   * Sends the oldest pending publishes not in flight and not held back, as far as the window
   * allows; wakes again for the earliest held back.
   */
  private pump(): void {
    if (this.waiting !== undefined) return;
    const now = Date.now();
    let next = Infinity;
    for (const p of this.pending.values()) {
      if (this.inFlight >= this.window) break;
      if (p.inFlight) continue;
      if (p.notBefore > now) {
        next = Math.min(next, p.notBefore);
        continue;
      }
      if (!this.send(p.frame)) return; // not connected: resendAll() follows the reconnect
      p.inFlight = true;
      this.inFlight++;
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = next === Infinity ? undefined : setTimeout(() => this.pump(), next - now);
  }

  /** The first refusal's wait stands: the rest of a pipeline is refused for the same reason. */
  private waitBeforeSending(ms: number): void {
    if (this.waiting !== undefined) return;
    this.waiting = setTimeout(() => {
      this.waiting = undefined;
      this.pump();
    }, ms);
  }

  private answered(p: Pending): void {
    if (!p.inFlight) return;
    p.inFlight = false;
    this.inFlight--;
  }

  private settle(p: Pending, result: AckFrame | RtmError): void {
    clearTimeout(p.timeout);
    this.answered(p);
    this.pending.delete(p.frame.clientMsgId);
    if (result instanceof RtmError) p.reject(result);
    else p.resolve(result);
    this.pump();
  }
}
