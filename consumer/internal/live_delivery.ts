import type { DeliveryBus, Signals } from "../../shared/ports/broker.ts";
import type { ChannelAccess } from "../../shared/ports/channel_access.ts";
import type { MessageStore } from "./domain/ports/message_store.ts";
import { PresenceService } from "./domain/services/presence_service.ts";
import { type DeliveryObserver, SubscriptionHub } from "./domain/services/subscription_hub.ts";

/**
 * The subscription hub and presence, which report to each other: subscriptions make presence,
 * and presence changes go out to the channel's subscribers. Built together, so the loop is closed
 * in one place; presence is started (it heartbeats) and stopped by the caller.
 */
export function liveDelivery(deps: {
  store: MessageStore;
  access: ChannelAccess;
  observer: DeliveryObserver;
  signals: Signals;
  delivery: Pick<DeliveryBus, "follow">;
  presence: { ttlMs: number };
  maxSubscriptionsPerSocket: number;
}): { hub: SubscriptionHub; presence: PresenceService } {
  // Presence calls back only after start(), when `hub` exists.
  const presence = new PresenceService(
    deps.signals,
    deps.presence,
    ({ channel, joined, left }) =>
      hub.broadcastPresence({ type: "presence", channel, joined, left }),
  );
  const hub = new SubscriptionHub(
    deps.store,
    deps.access,
    deps.observer,
    presence,
    deps.maxSubscriptionsPerSocket,
    deps.delivery,
  );
  return { hub, presence };
}
