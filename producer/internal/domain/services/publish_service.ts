import { withDeadline } from "../../../../shared/async/deadline.ts";
import { CHANNEL_ID_PATTERN, CHANNEL_ID_RULE } from "../../../../shared/domain/channel.ts";
import { CLIENT_MSG_ID_PATTERN, dedupeKey } from "../../../../shared/domain/message.ts";
import { AppError } from "../../../../shared/errors.ts";
import type { MessageLog } from "../../../../shared/ports/broker.ts";
import type { ChannelAccess } from "../../../../shared/ports/channel_access.ts";
import { SpanKind, traced, tracingOn } from "../../../../shared/tracing/tracing.ts";
import type { EventKind } from "../../../../shared/domain/message_event.ts";
import type { EventTargets } from "../ports/event_targets.ts";
import type { PublishObserver } from "../ports/publish_observer.ts";
import type { PublishRules } from "../ports/publish_rules.ts";
import { authorizeEvent, validateEvent } from "./event_authorization.ts";
import { PublishLane } from "./publish_lane.ts";
import { KeyedBuckets } from "../../../../shared/rate/keyed_buckets.ts";
import type { Rate } from "../../../../shared/rate/token_bucket.ts";

export interface PublishCommand {
  channel: string;
  clientMsgId: string;
  body: string;
  /** An edit, delete or reaction of the message at seq `target` (absent: a message). */
  kind?: EventKind;
  target?: number;
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
  private readonly userBuckets: KeyedBuckets;

  constructor(
    private readonly log: MessageLog,
    private readonly access: ChannelAccess,
    private readonly policy: PublishPolicy,
    private readonly observer: PublishObserver,
    private readonly rules: PublishRules = () => {},
    /** Where events' targets are looked up; without it (the server API) events are refused. */
    private readonly targets?: EventTargets,
  ) {
    this.userBuckets = new KeyedBuckets(policy.userRate);
  }

  /** A connection's lane (its bucket and append order); the caller keeps it for the socket's life. */
  openLane(): PublishLane {
    return new PublishLane(this.policy.connectionRate);
  }

  /** Publishes on `lane` keep their order in the log; without one (HTTP) each stands alone. */
  publish(userId: string, cmd: PublishCommand, lane?: PublishLane): Promise<PublishReceipt> {
    if (!tracingOn) return this.publishNow(userId, cmd, lane);
    // The log adapter carries the trace on to the consumer. A socket's publish (one on a lane)
    // starts a trace of its own: in the socket's upgrade request's trace, every message of the
    // connection would share one.
    return traced(
      "rtm.publish",
      SpanKind.PRODUCER,
      { "rtm.channel": cmd.channel, "rtm.client_msg_id": cmd.clientMsgId },
      () => this.publishNow(userId, cmd, lane),
      { newTrace: lane !== undefined },
    );
  }

  private async publishNow(
    userId: string,
    cmd: PublishCommand,
    lane?: PublishLane,
  ): Promise<PublishReceipt> {
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
      validateEvent(cmd.kind, cmd.target, cmd.body);
      if (cmd.kind && !this.targets) throw new AppError("INVALID", "events are not taken here");
      this.rules(cmd.channel, bodyBytes);
      this.takeToken(userId, cmd.clientMsgId, lane);
      await withDeadline(
        this.access.authorize(userId, cmd.channel),
        this.policy.publishTimeoutMs,
        () => new AppError("UNAVAILABLE", "channel directory did not answer in time, retry"),
      );
      // An event is authorized against its target before it is acked, so a refusal is at once.
      if (cmd.kind && cmd.target !== undefined && this.targets) {
        const found = await this.targets.lookup(userId, cmd.channel, cmd.target, cmd.clientMsgId);
        authorizeEvent(userId, cmd.kind, cmd.target, found);
      }
      await place?.turn;
      const message = {
        id: crypto.randomUUID(),
        channel: cmd.channel,
        clientMsgId: cmd.clientMsgId,
        sender: userId,
        body: cmd.body,
        sentAt: new Date().toISOString(),
        ...(cmd.kind ? { kind: cmd.kind, target: cmd.target } : {}),
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

  private takeToken(userId: string, clientMsgId: string, lane?: PublishLane): void {
    const heldMs = lane?.heldBack(clientMsgId);
    if (heldMs !== undefined) {
      throw new AppError(
        "RATE_LIMITED",
        "an earlier publish of this connection was rate limited: send it again first",
        heldMs / 1000,
      );
    }
    for (const bucket of [lane?.bucket, this.userBuckets.of(userId)]) {
      if (bucket && !bucket.take()) {
        const retryAfterSeconds = bucket.retryAfterSeconds();
        lane?.refused(clientMsgId, retryAfterSeconds * 1000);
        throw new AppError("RATE_LIMITED", "publishing too fast", retryAfterSeconds);
      }
    }
    lane?.passed(clientMsgId);
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
