/**
 * The wire contract of docs/PROTOCOL.md as plain types, with no dependencies: the SDK is published
 * with it, and the servers import this same file (shared/protocol/frames.ts validates what clients
 * send against zod schemas of its own; what servers send is typed here).
 */

/** Stable error codes: the same on every surface (WebSocket, SSE, HTTP, gRPC). */
export const ERROR_CODES = [
  "INVALID",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "TOO_LARGE",
  "RATE_LIMITED",
  "UNAVAILABLE",
  "INTERNAL",
] as const;
export type ErrorCode = typeof ERROR_CODES[number];

/**
 * The subprotocols servers answer with. `rtm.v2` is `rtm.v1` except that a server text frame may
 * carry several JSON frames, one per line; a client offering both gets `rtm.v2`.
 */
export const WS_PROTOCOLS = ["rtm.v2", "rtm.v1"] as const;
/** Browsers cannot set headers: they offer the token as one more subprotocol, `bearer.<jwt>`. */
export const TOKEN_PROTOCOL_PREFIX = "bearer.";

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

/** The client-chosen `id` of a request, echoed in its reply. */
export type RequestIdValue = number | string;

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
  /** RATE_LIMITED: how long to wait before the request can succeed. */
  retryAfterMs?: number;
};
export type SubscribedFrame = {
  id: RequestIdValue;
  type: "subscribed";
  channel: string;
  lastSeq: number;
  recovered: boolean;
};
export type UnsubscribedFrame = { id: RequestIdValue; type: "unsubscribed"; channel: string };
/**
 * Edits, deletes and reactions are events in their channel's own sequence: each is stored like a
 * message (its own seq, its own clientMsgId), so recovery replays it exactly once and in order.
 * `target` is the seq of the message it acts on; `body` is the new text (edit), empty (delete) or
 * the reaction (react, unreact). A message has no kind.
 */
export const EVENT_KINDS = ["edit", "delete", "react", "unreact"] as const;
export type EventKind = typeof EVENT_KINDS[number];

/** One reaction on a message, with who gave it (oldest first). */
export interface Reaction {
  emoji: string;
  count: number;
  users: string[];
}

/** A message as it is now, after the events on it (history's view). */
export interface MessageState {
  /** When it was last edited; absent when never. */
  editedAt?: string;
  /** A tombstone: deleted, its text gone. */
  deleted?: boolean;
  reactions?: Reaction[];
}

/** A stored message (or event): `seq` is gap-free and increasing within its channel. */
export type MessageFrame = {
  type: "message";
  channel: string;
  seq: number;
  id: string;
  clientMsgId: string;
  sender: string;
  body: string;
  /** ISO 8601. */
  sentAt: string;
  /** Absent for a message; an edit, delete or reaction names its kind and its target's seq. */
  kind?: EventKind;
  target?: number;
};
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
  | PongFrame
  | RefreshedFrame;
