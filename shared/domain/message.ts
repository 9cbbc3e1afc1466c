import { z } from "zod";
import { ChannelId } from "./channel.ts";
import { EventKind, type MessageState, TargetSeq } from "./message_event.ts";

/** A client's idempotency key: a retry with the same value never makes a second message. */
export const CLIENT_MSG_ID_PATTERN = /^[A-Za-z0-9_:.-]{1,128}$/;
export const ClientMsgId = z.string().regex(
  CLIENT_MSG_ID_PATTERN,
  "clientMsgId must match [A-Za-z0-9_:.-]{1,128}",
);

/** What the producer appends to the log: accepted, not yet sequenced. */
export const AcceptedMessage = z.object({
  id: z.uuid(),
  channel: ChannelId,
  clientMsgId: ClientMsgId,
  sender: z.uuid(),
  body: z.string(),
  sentAt: z.iso.datetime(),
  /** Absent for a message; an edit, delete or reaction names its kind and its target's seq. */
  kind: EventKind.optional(),
  target: TargetSeq.optional(),
});
export type AcceptedMessage = z.infer<typeof AcceptedMessage>;

/** A persisted message: `seq` is gap-free and increasing within its channel. */
export const StoredMessage = AcceptedMessage.extend({ seq: z.number().int().positive() });
export type StoredMessage = z.infer<typeof StoredMessage>;

/** A message of a history page: its current text, edited mark, tombstone and reactions. */
export type HistoryMessage = StoredMessage & MessageState;

/**
 * The log's idempotency key, per (sender, channel, clientMsgId) as PostgreSQL's unique key: two
 * users' equal clientMsgIds never collide, and one id reused for another channel is a new message
 * there (keyed per sender alone, it was acknowledged for that channel and never stored in it).
 */
export function dedupeKey(m: Pick<AcceptedMessage, "sender" | "channel" | "clientMsgId">): string {
  return `${m.sender}:${m.channel}:${m.clientMsgId}`;
}
