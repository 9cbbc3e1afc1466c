import type { DeliveryBus, Signals } from "../../shared/ports/broker.ts";
import type { ChannelAccess } from "../../shared/ports/channel_access.ts";
import type { MessageStore } from "./domain/ports/message_store.ts";
import { PresenceCoalescer } from "./domain/services/presence_coalescer.ts";
import { PresenceService } from "./domain/services/presence_service.ts";
import { type DeliveryObserver, SubscriptionHub } from "./domain/services/subscription_hub.ts";

/**
 * The subscription hub and presence, which report to each other: subscriptions make presence,
 * and presence changes go out to the channel's subscribers, coalesced per channel. Built
 * together, so the loop is closed in one place; presence is started (it heartbeats), and it and
 * the coalescer are stopped, by the caller.
 */
export function liveDelivery(deps: {
  store: MessageStore;
  access: ChannelAccess;
  observer: DeliveryObserver;
  signals: Signals;
  delivery: Pick<DeliveryBus, "follow">;
  presence: { ttlMs: number; flushesPerSecond: number };
  maxSubscriptionsPerSocket: number;
}): { hub: SubscriptionHub; presence: PresenceService; coalescer: PresenceCoalescer } {
  // Presence calls back only after start(), when `hub` exists.
  const coalescer = new PresenceCoalescer(
    1000 / deps.presence.flushesPerSecond,
    ({ channel, joined, left }) =>
      hub.broadcastPresence({ type: "presence", channel, joined, left }),
  );
  const presence = new PresenceService(
    deps.signals,
    deps.presence,
    (change) => coalescer.add(change),
  );
  const hub = new SubscriptionHub(
    deps.store,
    deps.access,
    deps.observer,
    presence,
    deps.maxSubscriptionsPerSocket,
    deps.delivery,
  );
  return { hub, presence, coalescer };
}
