import type { NamespaceOptions, Namespaces } from "../../../../shared/namespaces/namespaces.ts";
import type { AccessCache, ChannelAccess } from "../../../../shared/ports/channel_access.ts";
import type { PresenceTracker } from "../ports/presence.ts";

/** Channel access that refuses a namespace nobody configured (INVALID) before anything else. */
export function refuseUnknownNamespaces(
  access: ChannelAccess & AccessCache,
  namespaces: Namespaces,
): ChannelAccess & AccessCache {
  return {
    authorize: async (userId, channel) => {
      namespaces.of(channel);
      await access.authorize(userId, channel);
    },
    forget: (channel, userId) => access.forget(channel, userId),
  };
}

/** Whether `channel`'s namespace has `option` on; off for a namespace this instance lacks. */
export function namespaceAllows(
  namespaces: Namespaces,
  channel: string,
  option: keyof Pick<NamespaceOptions, "presence" | "joinLeave">,
): boolean {
  try {
    return namespaces.of(channel)[option];
  } catch {
    return false;
  }
}

/** Presence that tracks nobody in a namespace with presence off. */
export function namespacedPresence(
  tracker: PresenceTracker,
  namespaces: Namespaces,
): PresenceTracker {
  return {
    join: (channel, userId, connectionId) => {
      if (namespaceAllows(namespaces, channel, "presence")) {
        tracker.join(channel, userId, connectionId);
      }
    },
    leave: (channel, userId, connectionId) => {
      if (namespaceAllows(namespaces, channel, "presence")) {
        tracker.leave(channel, userId, connectionId);
      }
    },
  };
}
