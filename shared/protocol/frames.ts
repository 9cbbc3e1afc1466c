import { z } from "zod";
import { ChannelId } from "../domain/channel.ts";
import { ClientMsgId, type StoredMessage } from "../domain/message.ts";
import { EventKind, TargetSeq } from "../domain/message_event.ts";
import type { ErrorCode } from "../errors.ts";

/** Client → server frames. Every request carries a client-chosen `id` echoed in its reply. */
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
export type RequestIdValue = z.infer<typeof RequestId>;

/** Server → client frames. */
export type AckFrame = {
  id: RequestIdValue;
  type: "ack";
  channel: string;
  clientMsgId: string;
  streamSeq: number;
};
export type ErrorFrame = {
  id?: RequestIdValue;
  type: "error";
  code: ErrorCode;
  message: string;
  /** On an error that is no reply but ends a subscription (interrupted, revoked): its channel. */
  channel?: string;
};
export type SubscribedFrame = {
  id: RequestIdValue;
  type: "subscribed";
  channel: string;
  lastSeq: number;
  recovered: boolean;
};
export type UnsubscribedFrame = { id: RequestIdValue; type: "unsubscribed"; channel: string };
export type MessageFrame = { type: "message" } & StoredMessage;
export type PresenceFrame = {
  type: "presence";
  channel: string;
  joined: string[];
  left: string[];
};
/** `user` is typing in `channel`: show it for a few seconds unless it is repeated. */
export type TypingEventFrame = { type: "typing"; channel: string; user: string };
/** The user was added to `channel` (a DM opened with them, say) or removed from it. */
export type MembershipFrame = { type: "membership"; channel: string; change: "added" | "removed" };
/**
 * `user`'s read marker in `channel` is now `seq`: to their own sockets, and in DMs and small private
 * channels to the other members' subscribed ones ("seen").
 */
export type ReceiptFrame = { type: "receipt"; channel: string; user: string; seq: number };
/** Users the socket's user shares a DM with came online or went offline (`lastSeen`: then). */
export type UserPresenceFrame = {
  type: "user_presence";
  users: { id: string; online: boolean; lastSeen?: string }[];
};
/** A user the socket's user shares a channel with changed their display name. */
export type ProfileFrame = { type: "profile"; id: string; displayName: string };
export type PongFrame = { id?: RequestIdValue; type: "pong" };
/** The socket now lives until `expiresAt` (epoch seconds), the refreshed token's expiry. */
export type RefreshedFrame = { id: RequestIdValue; type: "refreshed"; expiresAt: number };
export type ServerFrame =
  | AckFrame
  | ErrorFrame
  | SubscribedFrame
  | UnsubscribedFrame
  | MessageFrame
  | PresenceFrame
  | TypingEventFrame
  | MembershipFrame
  | ReceiptFrame
  | UserPresenceFrame
  | ProfileFrame
  | PongFrame
  | RefreshedFrame;

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

/** WebSocket close codes in the application range (4000–4999), shared by both socket services. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  FRAME_TOO_LARGE: 4009,
  RATE_LIMITED: 4029,
  TOKEN_EXPIRED: 4001,
  /** An in-band refresh carried another user's token. */
  TOKEN_MISMATCH: 4003,
  /** A backend disconnected the user (server API): final, clients must not reconnect. */
  DISCONNECTED: 4010,
  SLOW_CONSUMER: 4008,
  TOO_MANY_CONNECTIONS: 4030,
} as const;
