import type { Logger } from "../../shared/logging/logger.ts";
import type { DeliveryBus, Signals } from "../../shared/ports/broker.ts";
import type { ChannelAccess } from "../../shared/ports/channel_access.ts";
import type { MessageStore } from "./domain/ports/message_store.ts";
import type { Namespaces } from "../../shared/namespaces/namespaces.ts";
import { namespaceAllows, namespacedPresence } from "./domain/services/namespace_policy.ts";
import { PresenceCoalescer } from "./domain/services/presence_coalescer.ts";
import { PresenceService } from "./domain/services/presence_service.ts";
import { type DeliveryObserver, SubscriptionHub } from "./domain/services/subscription_hub.ts";
import { TypingRelay } from "./domain/services/typing_relay.ts";
import { UserSockets } from "./domain/services/user_sockets.ts";
import { startResyncTimer } from "./resync_timer.ts";

export interface LiveDelivery {
  hub: SubscriptionHub;
  presence: PresenceService;
  typing: TypingRelay;
  /** This instance's sockets by user, for frames about a user rather than a channel. */
  users: UserSockets;
  stop(): void;
}

/**
 * What reaches subscribers live, started: the subscription hub (with its periodic resync), presence
 * and typing. The hub and presence report to each other: subscriptions make presence, and
 * presence changes go out to the channel's subscribers, coalesced per channel, each as its
 * namespace allows (presence tracked, join/leave frames sent). Built together, so the loop is
 * closed in one place.
 */
export function liveDelivery(deps: {
  store: MessageStore;
  access: ChannelAccess;
  observer: DeliveryObserver;
  signals: Signals;
  delivery: Pick<DeliveryBus, "follow">;
  presence: { ttlMs: number; flushesPerSecond: number };
  maxSubscriptionsPerSocket: number;
  resyncMs: number;
  namespaces: Namespaces;
  logger: Logger;
}): LiveDelivery {
  // Presence calls back only after start(), when `hub` exists.
  const coalescer = new PresenceCoalescer(
    1000 / deps.presence.flushesPerSecond,
    ({ channel, joined, left }) =>
      hub.broadcastPresence({ type: "presence", channel, joined, left }),
  );
  const presence = new PresenceService(
    deps.signals,
    deps.presence,
    (change) => {
      if (namespaceAllows(deps.namespaces, change.channel, "joinLeave")) coalescer.add(change);
    },
  );
  const hub = new SubscriptionHub(
    deps.store,
    deps.access,
    deps.observer,
    namespacedPresence(presence, deps.namespaces),
    deps.maxSubscriptionsPerSocket,
    deps.delivery,
  );
  presence.start();
  const typing = new TypingRelay(deps.signals, hub);
  typing.start();
  const stopResync = startResyncTimer(() => hub.resync(), deps.resyncMs, deps.logger);
  return {
    hub,
    presence,
    typing,
    users: new UserSockets(),
    stop: () => {
      stopResync();
      presence.stop();
      coalescer.stop();
      typing.stop();
    },
  };
}
