import { z } from "zod";
import { ChannelId } from "../domain/channel.ts";
import { ClientMsgId, type StoredMessage } from "../domain/message.ts";
import { EventKind, TargetSeq } from "../domain/message_event.ts";
import type { AppError } from "../errors.ts";
import type { ErrorFrame, MessageFrame, RequestIdValue, ServerFrame } from "../../web/sdk/wire.ts";

/**
 * Client → server frames, validated. Every request carries a client-chosen `id` echoed in its
 * reply. Server → client frames are plain types in web/sdk/wire.ts, published with the SDK.
 */
const RequestId = z.union([z.number().int(), z.string().max(64)]);

export const PublishFrame = z.object({
  id: RequestId,
  type: z.literal("publish"),
  channel: ChannelId,
  clientMsgId: ClientMsgId,
  body: z.string(),
  /** An edit, delete or reaction of the message whose seq is `target` (message_event.ts). */
  kind: EventKind.optional(),
  target: TargetSeq.optional(),
});
export const SubscribeFrame = z.object({
  id: RequestId,
  type: z.literal("subscribe"),
  channel: ChannelId,
  since: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export const UnsubscribeFrame = z.object({
  id: RequestId,
  type: z.literal("unsubscribe"),
  channel: ChannelId,
});
/** "I am typing in `channel`": relayed to its other subscribers, never stored. */
export const TypingFrame = z.object({
  id: RequestId,
  type: z.literal("typing"),
  channel: ChannelId,
});
export const PingFrame = z.object({ id: RequestId.optional(), type: z.literal("ping") });
/** A fresh access token for the open socket (same user), sent before the current one expires. */
export const RefreshFrame = z.object({
  id: RequestId,
  type: z.literal("refresh"),
  token: z.string().min(1).max(8192),
});

export const ProducerClientFrame = z.discriminatedUnion("type", [
  PublishFrame,
  PingFrame,
  RefreshFrame,
]);
export const ConsumerClientFrame = z.discriminatedUnion("type", [
  SubscribeFrame,
  UnsubscribeFrame,
  TypingFrame,
  PingFrame,
  RefreshFrame,
]);
export type PublishFrame = z.infer<typeof PublishFrame>;
export type SubscribeFrame = z.infer<typeof SubscribeFrame>;
export type RefreshFrame = z.infer<typeof RefreshFrame>;
export type ProducerClientFrame = z.infer<typeof ProducerClientFrame>;
export type ConsumerClientFrame = z.infer<typeof ConsumerClientFrame>;
export type {
  AckFrame,
  ErrorFrame,
  MembershipFrame,
  MessageFrame,
  PongFrame,
  PresenceFrame,
  ReceiptFrame,
  RefreshedFrame,
  RequestIdValue,
  ServerFrame,
  SubscribedFrame,
  TypingEventFrame,
  UnsubscribedFrame,
} from "../../web/sdk/wire.ts";
export { CloseCode } from "../../web/sdk/wire.ts";

/**
 * A frame sent to many sockets (a message to every subscriber of its channel): serialized once,
 * on first use, instead of once per socket.
 */
export class SharedFrame {
  private encoded: string | undefined;
  constructor(readonly frame: ServerFrame) {}

  get json(): string {
    return this.encoded ??= JSON.stringify(this.frame);
  }
}

export function messageFrame(m: StoredMessage): MessageFrame {
  return {
    type: "message",
    channel: m.channel,
    seq: m.seq,
    id: m.id,
    clientMsgId: m.clientMsgId,
    sender: m.sender,
    body: m.body,
    sentAt: m.sentAt,
    // Events only: a plain message's frame is as it always was.
    ...(m.kind ? { kind: m.kind, target: m.target } : {}),
  };
}

/** An error as the frame every socket and stream sends: the code, and when to retry if it is known. */
export function errorFrame(
  id: RequestIdValue | undefined,
  err: AppError,
  channel?: string,
): ErrorFrame {
  return {
    ...(id === undefined ? {} : { id }),
    type: "error",
    code: err.code,
    message: err.message,
    ...(channel === undefined ? {} : { channel }),
    ...(err.retryAfterSeconds === undefined
      ? {}
      : { retryAfterMs: Math.ceil(err.retryAfterSeconds * 1000) }),
  };
}
