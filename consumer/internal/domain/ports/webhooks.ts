import type { ChannelEvent } from "../../../../shared/domain/channel_event.ts";

/**
 * A message, or an event acting on one (docs/PROTOCOL.md, "Edits, deletes and reactions"), or a
 * channel event (membership, presence).
 */
export type WebhookEventType =
  | "message.created"
  | "message.edited"
  | "message.deleted"
  | "reaction.added"
  | "reaction.removed"
  | ChannelEvent["type"];

/** The body of a webhook request (Standard Webhooks' suggested shape). */
export interface WebhookEvent {
  /** Stable over every retry and copy of the same occurrence: receivers dedupe by it. */
  id: string;
  type: WebhookEventType;
  /** When the event is sent (ISO 8601). */
  timestamp: string;
  data: Record<string, unknown>;
}

/** Delivers one event to one endpoint; rejects unless the endpoint answered 2xx in time. */
export interface WebhookSender {
  send(url: string, event: WebhookEvent): Promise<void>;
}
