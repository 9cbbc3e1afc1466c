import { REACTION_PATTERN, REACTION_RULE } from "../../../../shared/domain/message_event.ts";
import type { EventKind } from "../../../../shared/domain/message_event.ts";
import { AppError } from "../../../../shared/errors.ts";
import type { TargetLookup } from "../ports/event_targets.ts";

/** The shape of an event, checked before any limit or lookup is spent on it. */
export function validateEvent(
  kind: EventKind | undefined,
  target: number | undefined,
  body: string,
): void {
  if (kind === undefined) {
    if (target !== undefined) throw new AppError("INVALID", "target needs a kind");
    return;
  }
  if (target === undefined) throw new AppError("INVALID", `${kind} needs the target message's seq`);
  if (kind === "edit" && body.length === 0) {
    throw new AppError("INVALID", "an edit's body is the new text; delete to remove it");
  }
  if (kind === "delete" && body.length > 0) {
    throw new AppError("INVALID", "a delete has an empty body");
  }
  if ((kind === "react" || kind === "unreact") && !REACTION_PATTERN.test(body)) {
    throw new AppError("INVALID", REACTION_RULE);
  }
}

/**
 * Who may do what to a message: only its author edits it; its author or the channel's owner
 * deletes it; anyone who may write to the channel (checked before) reacts. A deleted message takes
 * no edits and no reactions, but deleting it again is allowed (a retried delete must not fail).
 * A retry of an event already stored passes, so it gets its original ack.
 */
export function authorizeEvent(
  userId: string,
  kind: EventKind,
  target: number,
  found: TargetLookup,
): void {
  if (found.alreadyStored) return;
  const t = found.target;
  if (!t || t.isEvent) throw new AppError("NOT_FOUND", `no message with seq ${target}`);
  if (kind === "edit" && t.sender !== userId) {
    throw new AppError("FORBIDDEN", "only its author edits a message");
  }
  if (kind === "delete" && t.sender !== userId && !found.callerOwns) {
    throw new AppError("FORBIDDEN", "only its author or the channel's owner deletes a message");
  }
  if (kind !== "delete" && t.deleted) {
    throw new AppError("NOT_FOUND", `message ${target} was deleted`);
  }
}
