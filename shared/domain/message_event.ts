import { z } from "zod";
import { EVENT_KINDS } from "../../web/sdk/wire.ts";

/** Edits, deletes and reactions (web/sdk/wire.ts says what they are), validated. */
export const EventKind = z.enum(EVENT_KINDS);
export type EventKind = z.infer<typeof EventKind>;
export type { MessageState, Reaction } from "../../web/sdk/wire.ts";

export const TargetSeq = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** A reaction: one short token (an emoji, `+1`), no spaces or control characters. */
export const REACTION_PATTERN = /^[^\s\p{Cc}]{1,16}$/u;
export const REACTION_RULE = "a reaction is 1 to 16 characters without spaces";
