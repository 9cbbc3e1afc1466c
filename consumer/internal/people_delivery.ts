import type { Logger } from "../../shared/logging/logger.ts";
import type { Signals } from "../../shared/ports/broker.ts";
import type { People, ProfileChanges } from "./domain/ports/people.ts";
import { PresenceEvents } from "./domain/services/presence_events.ts";
import { ProfileRelay } from "./domain/services/profile_relay.ts";
import { UserPresence } from "./domain/services/user_presence.ts";
import { UserSockets } from "./domain/services/user_sockets.ts";

/**
 * This instance's sockets by user, with what concerns people rather than channels: user presence
 * (each socket counts; pushed to DM partners), renames pushed to the open pages that show them,
 * and channel presence recorded for its webhook events where `channelPresence` (webhooks are
 * on). Built and started together, so the loops close in one place; `stop` ends them.
 */
export async function peopleDelivery(deps: {
  signals: Signals;
  presence: { ttlMs: number; flushesPerSecond: number };
  people: People & ProfileChanges;
  channelPresence: boolean;
  logger: Logger;
}): Promise<{
  users: UserSockets;
  userPresence: UserPresence;
  presenceEvents?: PresenceEvents;
  stop(): Promise<void>;
}> {
  const { people, logger } = deps;
  const presenceEvents = deps.channelPresence
    ? new PresenceEvents(people, logger.child({ component: "webhooks" }))
    : undefined;
  // The sockets call presence back only once they exist, after this returns.
  const userPresence: UserPresence = new UserPresence(
    deps.signals,
    deps.presence,
    people,
    { users: (): string[] => users.users(), send: (userId, frame) => users.send(userId, frame) },
    logger.child({ component: "user-presence" }),
  );
  const users: UserSockets = new UserSockets(userPresence);
  userPresence.start();
  const profiles = new ProfileRelay(people, people, users, logger.child({ component: "profiles" }));
  await profiles.start();
  return {
    users,
    userPresence,
    presenceEvents,
    stop: async () => {
      userPresence.stop();
      await profiles.stop();
    },
  };
}
