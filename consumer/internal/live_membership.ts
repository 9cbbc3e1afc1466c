import type { Logger } from "../../shared/logging/logger.ts";
import type { Signals } from "../../shared/ports/broker.ts";
import type { AccessCache } from "../../shared/ports/channel_access.ts";
import { SignalMembershipEvents } from "./adapters/outbound/signal_membership_events.ts";
import type { MembershipEvents } from "./domain/ports/membership.ts";
import type { SubscriptionHub } from "./domain/services/subscription_hub.ts";
import type { UserSockets } from "./domain/services/user_sockets.ts";

/**
 * Membership changes made on any instance, acted on here: a revocation drops the cached access
 * and ends the user's subscriptions; both kinds reach the user's open sockets as membership
 * frames, for their pages to list or drop the channel at once. Returns where changes are
 * announced and the stop.
 */
export function liveMembership(deps: {
  signals: Signals;
  access: AccessCache;
  hub: Pick<SubscriptionHub, "revoke">;
  users: UserSockets;
  logger: Logger;
}): { events: MembershipEvents; stop: () => void } {
  const events = new SignalMembershipEvents(deps.signals, deps.logger);
  const stop = events.listen({
    revoked: (channel, userId) => {
      deps.access.forget(channel, userId);
      deps.hub.revoke(channel, userId);
      deps.users.send(userId, { type: "membership", channel, change: "removed" });
    },
    added: (channel, userId) =>
      deps.users.send(userId, { type: "membership", channel, change: "added" }),
  });
  return { events, stop };
}
