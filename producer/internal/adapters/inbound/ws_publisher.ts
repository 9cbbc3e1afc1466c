import { toAppError } from "../../../../shared/errors.ts";
import { answerRefresh } from "../../../../shared/http/ws_refresh.ts";
import type { Session, SessionHandlers } from "../../../../shared/http/ws_session.ts";
import { CloseCode, errorFrame, ProducerClientFrame } from "../../../../shared/protocol/frames.ts";
import { misdirected } from "../../../../shared/protocol/misdirected.ts";
import { parseFrame, requestIdOf } from "../../../../shared/protocol/parse.ts";
import type { PublishLane } from "../../domain/services/publish_lane.ts";
import type { PublishService } from "../../domain/services/publish_service.ts";
import { type Rate, TokenBucket } from "../../../../shared/rate/token_bucket.ts";

/**
 * WebSocket ingress: frames in, acks and errors out, over the shared PublishService. Each socket
 * has its own lane, so its messages are stored in the order it sent them. A client that ignores
 * RATE_LIMITED answers is flooding: every such answer costs a strike from a bucket of its own
 * (`flood.burst` strikes, regained at `flood.perSecond`), and an empty bucket closes the socket
 * with 4029. A client that backs off regains its strikes.
 */
export function publisherHandlers(service: PublishService, flood: Rate): SessionHandlers {
  const state = new WeakMap<Session, { lane: PublishLane; strikes: TokenBucket }>();
  const stateOf = (s: Session) => {
    let st = state.get(s);
    if (!st) state.set(s, st = { lane: service.openLane(), strikes: new TokenBucket(flood) });
    return st;
  };
  return {
    onText(session, data) {
      let frame: ProducerClientFrame;
      try {
        frame = parseFrame(ProducerClientFrame, data);
      } catch (err) {
        const e = misdirected(data, "producer") ?? toAppError(err);
        session.send(errorFrame(requestIdOf(data), e));
        return;
      }
      if (frame.type === "ping") {
        session.send({ id: frame.id, type: "pong" });
        return;
      }
      if (frame.type === "refresh") {
        answerRefresh(session, frame);
        return;
      }
      const st = stateOf(session);
      const { channel, clientMsgId, body, kind, target } = frame;
      service.publish(
        session.principal.userId,
        { channel, clientMsgId, body, kind, target },
        st.lane,
      ).then(
        (receipt) => {
          session.send({ id: frame.id, type: "ack", ...receipt });
        },
        (err) => {
          const e = toAppError(err);
          if (e.code === "INTERNAL") session.logger.error("publish failed", { err });
          session.send(errorFrame(frame.id, e));
          if (e.code === "RATE_LIMITED" && !st.strikes.take() && session.open) {
            session.logger.warn("closing flooding socket");
            session.close(CloseCode.RATE_LIMITED, "flooding: too many rate-limited publishes");
          }
        },
      );
    },
  };
}
