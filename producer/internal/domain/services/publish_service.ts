import { dedupeKey } from "../../../../shared/domain/message.ts";
import { AppError } from "../../../../shared/errors.ts";
import type { MessageLog } from "../../../../shared/ports/broker.ts";
import type { ChannelAccess } from "../../../../shared/ports/channel_access.ts";
import type { PublishObserver } from "../ports/publish_observer.ts";
import { TokenBucket } from "./token_bucket.ts";

export interface PublishCommand {
  channel: string;
  clientMsgId: string;
  body: string;
}

export interface PublishReceipt {
  channel: string;
  clientMsgId: string;
  streamSeq: number;
  duplicate: boolean;
}

export interface PublishPolicy {
  maxBodyBytes: number;
  publishTimeoutMs: number;
  ratePerSecond: number;
  rateBurst: number;
}

const encoder = new TextEncoder();
/** Per-user buckets are dropped once idle this long, so the map stays bounded. */
const USER_BUCKET_IDLE_MS = 60_000;

/**
 * The one publish path shared by WebSocket and HTTP ingress:
 * validate → authorize → rate-limit → append to the log → receipt. A receipt is only ever given
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
  ) {}

  /** A per-connection bucket; the caller keeps it for the connection's life. */
  connectionBucket(): TokenBucket {
    return new TokenBucket(this.policy.ratePerSecond, this.policy.rateBurst);
  }

  async publish(
    userId: string,
    cmd: PublishCommand,
    connection?: TokenBucket,
  ): Promise<PublishReceipt> {
    const started = performance.now();
    this.inFlight++;
    try {
      if (!this.accepting) throw new AppError("UNAVAILABLE", "server is shutting down, retry");
      if (encoder.encode(cmd.body).length > this.policy.maxBodyBytes) {
        throw new AppError("TOO_LARGE", `body exceeds ${this.policy.maxBodyBytes} bytes`);
      }
      await this.access.authorize(userId, cmd.channel);
      this.takeToken(userId, connection);
      const message = {
        id: crypto.randomUUID(),
        channel: cmd.channel,
        clientMsgId: cmd.clientMsgId,
        sender: userId,
        body: cmd.body,
        sentAt: new Date().toISOString(),
      };
      const appendStarted = performance.now();
      const result = await this.log.append(
        message,
        dedupeKey(message),
        this.policy.publishTimeoutMs,
      );
      this.observer.logAppended((performance.now() - appendStarted) / 1000);
      this.observer.published(
        result.duplicate ? "duplicate" : "ok",
        (performance.now() - started) / 1000,
      );
      return { channel: cmd.channel, clientMsgId: cmd.clientMsgId, ...result };
    } catch (err) {
      const code = err instanceof AppError ? err.code : "INTERNAL";
      this.observer.published(code, (performance.now() - started) / 1000);
      throw err;
    } finally {
      if (--this.inFlight === 0) this.idle?.();
    }
  }

  private takeToken(userId: string, connection?: TokenBucket): void {
    const now = Date.now();
    let entry = this.userBuckets.get(userId);
    if (!entry) {
      this.sweepUserBuckets(now);
      entry = { bucket: this.connectionBucket(), usedAt: now };
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
