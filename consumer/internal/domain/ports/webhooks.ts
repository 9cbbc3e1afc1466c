/** Presence on a channel (per channel) and across channels (per user). */
export type PresenceEventType =
  | "presence.joined"
  | "presence.left"
  | "user.online"
  | "user.offline";

/** The body of a webhook request (Standard Webhooks' suggested shape). */
export interface WebhookEvent {
  /** Stable over every retry and copy of the same occurrence: receivers dedupe by it. */
  id: string;
  type: "message.created" | PresenceEventType;
  /** When the event is sent (ISO 8601). */
  timestamp: string;
  data: Record<string, unknown>;
}

/** Delivers one event to one endpoint; rejects unless the endpoint answered 2xx in time. */
export interface WebhookSender {
  send(url: string, event: WebhookEvent): Promise<void>;
}
