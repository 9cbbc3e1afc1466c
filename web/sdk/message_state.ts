import type { EventKind, MessageState } from "./wire.ts";
import type { Message } from "./subscriptions.ts";

export type { MessageState, Reaction } from "./wire.ts";

/** An edit, delete or reaction: a message frame with a `kind`, acting on seq `target`. */
export type MessageEvent = Message & { kind: EventKind; target: number };

/** A message as it is now (history gives these; `applyEvent` keeps them current). */
export type ShownMessage = Message & MessageState;

/**
 * `message` after `event` (whose target it is), as the server applies it: only the author's edit
 * counts, a tombstone takes no edit or reaction, a reaction is one per user and emoji. The SDK
 * delivers each event once, after its target, so an app keeps its messages current with this.
 */
export function applyEvent(message: ShownMessage, event: MessageEvent): ShownMessage {
  if (message.deleted) return message;
  switch (event.kind) {
    case "edit":
      if (event.sender !== message.sender) return message;
      return { ...message, body: event.body, editedAt: event.sentAt };
    case "delete":
      return { ...message, body: "", deleted: true, reactions: undefined };
    case "react":
    case "unreact": {
      const others = (message.reactions ?? []).map((r) => ({
        ...r,
        users: r.users.filter((u) => u !== event.sender || r.emoji !== event.body),
      }));
      const mine = others.find((r) => r.emoji === event.body);
      if (event.kind === "react") {
        if (mine) mine.users.push(event.sender);
        else others.push({ emoji: event.body, count: 1, users: [event.sender] });
      }
      const reactions = others.map((r) => ({ ...r, count: r.users.length }))
        .filter((r) => r.count > 0);
      return { ...message, reactions: reactions.length ? reactions : undefined };
    }
  }
}
