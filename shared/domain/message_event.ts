import { z } from "zod";

/**
 * Edits, deletes and reactions are events in their channel's own sequence: each is stored like a
 * message (its own seq, its own clientMsgId), so recovery replays it exactly once and in order.
 * `target` is the seq of the message it acts on; `body` is the new text (edit), empty (delete) or
 * the reaction (react, unreact). A message has no kind.
 */
export const EVENT_KINDS = ["edit", "delete", "react", "unreact"] as const;
export const EventKind = z.enum(EVENT_KINDS);
export type EventKind = z.infer<typeof EventKind>;

export const TargetSeq = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** A reaction: one short token (an emoji, `+1`), no spaces or control characters. */
export const REACTION_PATTERN = /^[^\s\p{Cc}]{1,16}$/u;
export const REACTION_RULE = "a reaction is 1 to 16 characters without spaces";

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
