import { ChannelId } from "../../../../../shared/domain/channel.ts";
import { AppError, toAppError } from "../../../../../shared/errors.ts";
import { ExpiryWheel } from "../../../../../shared/http/expiry_wheel.ts";
import type { Logger } from "../../../../../shared/logging/logger.ts";
import type { ChannelAccess } from "../../../../../shared/ports/channel_access.ts";
import type { Principal } from "../../../../../shared/ports/tokens.ts";
import { errorFrame } from "../../../../../shared/protocol/frames.ts";
import type { SubscriptionHub } from "../../../domain/services/subscription_hub.ts";
import { SseCursor } from "./cursor.ts";
import { SseStream } from "./stream.ts";

/** A comment on every open stream this often, one timer for all of them. */
const KEEPALIVE_MS = 15_000;

export interface SseLimits {
  maxConnections: number;
  maxConnectionsPerUser: number;
  maxSubscriptionsPerStream: number;
  maxBufferedBytes: number;
}

export interface SseObserver {
  streams(n: number): void;
  slowConsumer(): void;
}

/**
 * The consumer's Server-Sent Events egress: admits a stream (caller, channels, caps), subscribes
 * it through the same SubscriptionHub as the sockets (one recovery, gap-fill and order logic),
 * ends it at its token's expiry, and ends them all on drain. Caps count streams apart from
 * sockets, with the same limits.
 */
export class SseServer {
  private readonly streams = new Set<SseStream>();
  private readonly perUser = new Map<string, number>();
  private readonly expiries = new ExpiryWheel<SseStream>((s) =>
    s.close({ type: "error", code: "UNAUTHENTICATED", message: "token expired" })
  );
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  private draining = false;

  constructor(
    private readonly hub: Pick<SubscriptionHub, "subscribe" | "disconnect">,
    private readonly access: ChannelAccess,
    private readonly limits: SseLimits,
    private readonly logger: Logger,
    private readonly observer: SseObserver,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  /**
   * Opens a stream of `channels` for `principal`, resuming after `lastEventId` when given.
   * Rejects (before any byte is sent) with INVALID, FORBIDDEN, NOT_FOUND, RATE_LIMITED (a cap)
   * or UNAVAILABLE (draining).
   */
  async open(
    principal: Principal,
    channelList: string,
    lastEventId: string | undefined,
  ): Promise<Response> {
    if (this.draining) throw new AppError("UNAVAILABLE", "server is shutting down");
    const channels = [...new Set(channelList.split(",").filter(Boolean))];
    if (channels.length === 0) throw new AppError("INVALID", "channels: at least one channel");
    if (channels.length > this.limits.maxSubscriptionsPerStream) {
      throw new AppError(
        "RATE_LIMITED",
        `at most ${this.limits.maxSubscriptionsPerStream} channels per stream`,
      );
    }
    for (const c of channels) {
      if (!ChannelId.safeParse(c).success) {
        throw new AppError("INVALID", "channel must match [A-Za-z0-9_-]{1,64}");
      }
    }
    const cursor = lastEventId ? SseCursor.parse(lastEventId) : SseCursor.empty();
    // Refused with a status while that is still possible: EventSource gives up on one.
    for (const c of channels) await this.access.authorize(principal.userId, c);
    // Caps checked in the same synchronous step as the registration (no await between).
    if (this.draining) throw new AppError("UNAVAILABLE", "server is shutting down");
    if (this.streams.size >= this.limits.maxConnections) {
      throw new AppError("RATE_LIMITED", "server connection limit reached", 1);
    }
    if ((this.perUser.get(principal.userId) ?? 0) >= this.limits.maxConnectionsPerUser) {
      throw new AppError("RATE_LIMITED", "too many connections for this user", 1);
    }
    const resumedFrom = new Map<string, number>();
    for (const c of channels) {
      const since = cursor.seqOf(c);
      if (since !== undefined) resumedFrom.set(c, since);
    }
    const stream = new SseStream(principal, cursor, resumedFrom, {
      maxBufferedBytes: this.limits.maxBufferedBytes,
      slowConsumer: () => {
        this.logger.warn("cutting off slow SSE stream", { user: principal.userId });
        this.observer.slowConsumer();
      },
      ended: (s) => this.remove(s),
    });
    this.add(stream);
    for (const channel of channels) {
      // The request id of each `subscribed` frame is its channel.
      this.hub.subscribe(stream, channel, channel, resumedFrom.get(channel)).catch((err) => {
        const e = toAppError(err);
        if (e.code === "INTERNAL") this.logger.error("SSE subscribe failed", { err });
        // Ended: the client reconnects with its Last-Event-ID and resumes.
        stream.close(errorFrame(channel, e, channel));
      });
    }
    return new Response(stream.body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        // Proxies such as nginx would otherwise hold events back to fill a buffer.
        "x-accel-buffering": "no",
      },
    });
  }

  /** Ends every stream (clients reconnect elsewhere with Last-Event-ID) and refuses new ones. */
  closeAll(): void {
    this.draining = true;
    for (const s of [...this.streams]) s.close();
  }

  private add(s: SseStream): void {
    this.streams.add(s);
    this.perUser.set(s.userId, (this.perUser.get(s.userId) ?? 0) + 1);
    this.expiries.set(s, s.principal.expiresAt * 1000);
    this.observer.streams(this.streams.size);
    this.keepAlive ??= setInterval(() => {
      for (const stream of this.streams) stream.keepAlive();
    }, KEEPALIVE_MS);
  }

  private remove(s: SseStream): void {
    if (!this.streams.delete(s)) return;
    const left = (this.perUser.get(s.userId) ?? 1) - 1;
    if (left <= 0) this.perUser.delete(s.userId);
    else this.perUser.set(s.userId, left);
    this.expiries.delete(s);
    this.hub.disconnect(s);
    this.observer.streams(this.streams.size);
    if (this.streams.size === 0) {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
    }
  }
}
