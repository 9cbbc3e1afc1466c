import type { SocketServer } from "../../shared/http/ws_session.ts";
import type { Signals } from "../../shared/ports/broker.ts";
import type { SessionRevocations } from "../../shared/ports/sessions.ts";
import { SignalUserSessions } from "./adapters/outbound/signal_user_sessions.ts";
import type { UserSessions } from "./domain/ports/user_sessions.ts";
import type { SubscriptionHub } from "./domain/services/subscription_hub.ts";

/**
 * What ends a user's sockets here from outside: revoked sessions (logout), found by polling, and
 * backends' commands through the server API, announced to every instance (this one included).
 * Returns where commands are announced and the stop.
 */
export function controlUserSockets(deps: {
  sessions: SessionRevocations;
  signals: Signals;
  sockets: Pick<SocketServer, "closeRevoked" | "closeUser">;
  hub: Pick<SubscriptionHub, "revoke">;
}): { userSessions: UserSessions; stop: () => void } {
  deps.sessions.start(({ userId, at }) => deps.sockets.closeRevoked(userId, at));
  const userSessions = new SignalUserSessions(deps.signals);
  const stopCommands = userSessions.listen({
    closeUser: (userId, code, reason) => deps.sockets.closeUser(userId, code, reason),
    unsubscribeUser: (userId, channel) =>
      deps.hub.revoke(channel, userId, "unsubscribed by the application"),
  });
  return {
    userSessions,
    stop: () => {
      stopCommands();
      deps.sessions.stop();
    },
  };
}
