import { toAppError } from "../../../../shared/errors.ts";
import { answerRefresh } from "../../../../shared/http/ws_refresh.ts";
import type { Session, SessionHandlers } from "../../../../shared/http/ws_session.ts";
import {
  ConsumerClientFrame,
  errorFrame,
  type ServerFrame,
  type SharedFrame,
} from "../../../../shared/protocol/frames.ts";
import { misdirected } from "../../../../shared/protocol/misdirected.ts";
import { parseFrame, requestIdOf } from "../../../../shared/protocol/parse.ts";
import type { Subscriber } from "../../domain/ports/subscriber.ts";
import type { SubscriptionHub } from "../../domain/services/subscription_hub.ts";
import type { TypingRelay } from "../../domain/services/typing_relay.ts";
import type { UserSockets } from "../../domain/services/user_sockets.ts";

/**
 * WebSocket egress: subscribe/unsubscribe/typing/ping/refresh frames in, messages out, via the
 * hub (typing via the relay). A socket is known by its user from its first frame on (the SDK
 * subscribes at once), so membership changes and user presence reach it. Each subscription that
 * succeeds is reported to `subscribed` (a public channel is joined by subscribing to it).
 */
export function subscriberHandlers(
  hub: SubscriptionHub,
  typing: TypingRelay,
  users: UserSockets,
  subscribed: (userId: string, channel: string) => Promise<void> = () => Promise.resolve(),
): SessionHandlers {
  const subscribers = new WeakMap<Session, Subscriber>();
  const subscriberOf = (session: Session): Subscriber => {
    let s = subscribers.get(session);
    if (!s) {
      s = new SessionSubscriber(session);
      subscribers.set(session, s);
      users.add(s);
    }
    return s;
  };
  return {
    onText(session, data) {
      let frame: ConsumerClientFrame;
      try {
        frame = parseFrame(ConsumerClientFrame, data);
      } catch (err) {
        const e = misdirected(data, "consumer") ?? toAppError(err);
        session.send(errorFrame(requestIdOf(data), e));
        return;
      }
      const subscriber = subscriberOf(session);
      switch (frame.type) {
        case "ping":
          session.send({ id: frame.id, type: "pong" });
          return;
        case "refresh":
          answerRefresh(session, frame);
          return;
        case "unsubscribe":
          hub.unsubscribe(subscriber, frame.channel);
          session.send({ id: frame.id, type: "unsubscribed", channel: frame.channel });
          return;
        case "typing":
          // No reply when relayed: it is a hint, not a request worth a round trip.
          try {
            typing.typing(subscriber, frame.channel);
          } catch (err) {
            const e = toAppError(err);
            session.send(errorFrame(frame.id, e));
          }
          return;
        case "subscribe":
          hub.subscribe(subscriber, frame.id, frame.channel, frame.since).then(
            () =>
              subscribed(subscriber.userId, frame.channel).catch((err) =>
                session.logger.warn("subscription not recorded", { err })
              ),
            (err) => {
              const e = toAppError(err);
              if (e.code === "INTERNAL") session.logger.error("subscribe failed", { err });
              session.send(errorFrame(frame.id, e));
            },
          );
          return;
      }
    },
    onClose(session) {
      const subscriber = subscribers.get(session);
      if (!subscriber) return;
      hub.disconnect(subscriber);
      users.remove(subscriber);
    },
  };
}

/**
 * A socket as the hub sees it: one object holding the session, no closures (74 bytes of heap
 * where an object literal with two closures took 250; it counts once per idle socket).
 */
class SessionSubscriber implements Subscriber {
  constructor(private readonly session: Session) {}

  get id(): string {
    return this.session.id;
  }

  /** The same for the socket's life: a refresh takes only a token of the same user. */
  get userId(): string {
    return this.session.principal.userId;
  }

  send(frame: ServerFrame | SharedFrame): boolean {
    return this.session.send(frame);
  }

  writable(): Promise<boolean> {
    return this.session.writable();
  }
}
