import { withDeadline } from "../../../../shared/async/deadline.ts";
import { CHANNEL_ID_PATTERN, CHANNEL_ID_RULE } from "../../../../shared/domain/channel.ts";
import { CLIENT_MSG_ID_PATTERN, dedupeKey } from "../../../../shared/domain/message.ts";
import { AppError } from "../../../../shared/errors.ts";
import type { MessageLog } from "../../../../shared/ports/broker.ts";
import type { ChannelAccess } from "../../../../shared/ports/channel_access.ts";
import type { PublishObserver } from "../ports/publish_observer.ts";
import type { PublishRules } from "../ports/publish_rules.ts";
import { PublishLane } from "./publish_lane.ts";
import { type Rate, TokenBucket } from "./token_bucket.ts";

export interface PublishCommand {
  channel: string;
  clientMsgId: string;
  body: string;
}

/** The same for the first publish and every retry of it: a client cannot tell them apart. */
export interface PublishReceipt {
  channel: string;
  clientMsgId: string;
  streamSeq: number;
}

export interface PublishPolicy {
  maxBodyBytes: number;
  /** Bounds the authorization lookup and the log append, each. */
  publishTimeoutMs: number;
  connectionRate: Rate;
  userRate: Rate;
}

const encoder = new TextEncoder();
/** Per-user buckets are dropped once idle this long, so the map stays bounded. */
const USER_BUCKET_IDLE_MS = 60_000;

/**
 * The one publish path shared by WebSocket and HTTP ingress:
 * validate → rate-limit → authorize → append to the log → receipt. Rate limiting comes before
 * authorization so a flood never reaches the channel directory. A receipt is only ever given
 * after the log has stored the message, and a retry with the same clientMsgId gets the same one.
 */
export class PublishService {
  private inFlight = 0;
  private accepting = true;
  private idle: (() => void) | undefined;
  private readonly userBuckets = new Map<string, { bucket: TokenBucket; usedAt: number }>();

  constructor(
    private readonly log: MessageLog,
    private readonly access: ChannelAccess,
    private readonly policy: PublishPolicy,
    private readonly observer: PublishObserver,
    private readonly rules: PublishRules = () => {},
  ) {}

  /** A connection's lane (its bucket and append order); the caller keeps it for the socket's life. */
  openLane(): PublishLane {
    return new PublishLane(this.policy.connectionRate);
  }

  /** Publishes on `lane` keep their order in the log; without one (HTTP) each stands alone. */
  async publish(userId: string, cmd: PublishCommand, lane?: PublishLane): Promise<PublishReceipt> {
    const started = performance.now();
    const place = lane?.enter();
    this.inFlight++;
    try {
      if (!this.accepting) throw new AppError("UNAVAILABLE", "server is shutting down, retry");
      // The adapters validate too; this keeps any other caller from reaching a NATS subject.
      if (!CHANNEL_ID_PATTERN.test(cmd.channel)) {
        throw new AppError("INVALID", CHANNEL_ID_RULE);
      }
      if (!CLIENT_MSG_ID_PATTERN.test(cmd.clientMsgId)) {
        throw new AppError("INVALID", "clientMsgId must match [A-Za-z0-9_:.-]{1,128}");
      }
      const bodyBytes = encoder.encode(cmd.body).length;
      if (bodyBytes > this.policy.maxBodyBytes) {
        throw new AppError("TOO_LARGE", `body exceeds ${this.policy.maxBodyBytes} bytes`);
      }
      this.rules(cmd.channel, bodyBytes);
      this.takeToken(userId, lane?.bucket);
      await withDeadline(
        this.access.authorize(userId, cmd.channel),
        this.policy.publishTimeoutMs,
        () => new AppError("UNAVAILABLE", "channel directory did not answer in time, retry"),
      );
      await place?.turn;
      const message = {
        id: crypto.randomUUID(),
        channel: cmd.channel,
        clientMsgId: cmd.clientMsgId,
        sender: userId,
        body: cmd.body,
        sentAt: new Date().toISOString(),
      };
      const appendStarted = performance.now();
      const appending = this.log.append(message, dedupeKey(message), this.policy.publishTimeoutMs);
      place?.leave();
      const result = await appending;
      this.observer.logAppended((performance.now() - appendStarted) / 1000);
      this.observer.published(
        result.duplicate ? "duplicate" : "ok",
        (performance.now() - started) / 1000,
      );
      return { channel: cmd.channel, clientMsgId: cmd.clientMsgId, streamSeq: result.streamSeq };
    } catch (err) {
      const code = err instanceof AppError ? err.code : "INTERNAL";
      this.observer.published(code, (performance.now() - started) / 1000);
      throw err;
    } finally {
      place?.leave();
      if (--this.inFlight === 0) this.idle?.();
    }
  }

  private takeToken(userId: string, connection?: TokenBucket): void {
    const now = Date.now();
    let entry = this.userBuckets.get(userId);
    if (!entry) {
      this.sweepUserBuckets(now);
      entry = { bucket: new TokenBucket(this.policy.userRate), usedAt: now };
      this.userBuckets.set(userId, entry);
    }
    entry.usedAt = now;
    for (const bucket of [connection, entry.bucket]) {
      if (bucket && !bucket.take()) {
        throw new AppError("RATE_LIMITED", "publishing too fast", bucket.retryAfterSeconds());
      }
    }
  }

  private sweepUserBuckets(now: number): void {
    if (this.userBuckets.size < 1024) return;
    for (const [user, { usedAt }] of this.userBuckets) {
      if (now - usedAt > USER_BUCKET_IDLE_MS) this.userBuckets.delete(user);
    }
  }

  /** Refuses new publishes, then resolves once none is in flight, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    this.accepting = false;
    if (this.inFlight === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.idle = resolve),
      new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs)),
    ]);
    clearTimeout(timer);
  }
}
