import { z } from "zod";
import type { Signals } from "../../../../shared/ports/broker.ts";
import { announce } from "../../../../shared/sessions/announce.ts";
import { announceDisconnect, closeOnDisconnect } from "../../../../shared/sessions/disconnects.ts";
import type { UserSessions } from "../../domain/ports/user_sessions.ts";

const UNSUBSCRIBE_TOPIC = "user-unsubscribe";
const Unsubscribe = z.object({ userId: z.string(), channel: z.string() });

/** What an instance does with its own sockets when told to. */
export interface LocalSessions {
  closeUser(userId: string, code: number, reason: string): number;
  unsubscribeUser(userId: string, channel: string): void;
}

/**
 * Server API commands to a user's sockets, announced over the broker's signals so every instance
 * (this one included) acts on its own sockets. At most once, like presence: the caller that must
 * be sure asks again, and both commands are harmless twice.
 */
export class SignalUserSessions implements UserSessions {
  constructor(private readonly signals: Signals) {}

  /** Acts on this instance's sockets until the returned function is called. */
  listen(local: LocalSessions): () => void {
    const stopDisconnects = closeOnDisconnect(this.signals, local);
    const stopUnsubscribes = this.signals.subscribe(UNSUBSCRIBE_TOPIC, (data) => {
      const parsed = Unsubscribe.safeParse(data);
      if (parsed.success) local.unsubscribeUser(parsed.data.userId, parsed.data.channel);
    });
    return () => {
      stopDisconnects();
      stopUnsubscribes();
    };
  }

  disconnect(userId: string): void {
    announceDisconnect(this.signals, userId);
  }

  unsubscribe(userId: string, channel: string): void {
    announce(
      this.signals,
      UNSUBSCRIBE_TOPIC,
      {
        userId,
        channel,
      } satisfies z.infer<typeof Unsubscribe>,
    );
  }
}
