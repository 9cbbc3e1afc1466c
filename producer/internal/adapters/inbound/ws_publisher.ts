import { AppError, toAppError } from "../../../../shared/errors.ts";
import type { Session, SessionHandlers } from "../../../../shared/http/ws_session.ts";
import { CloseCode, ProducerClientFrame } from "../../../../shared/protocol/frames.ts";
import { parseFrame, requestIdOf } from "../../../../shared/protocol/parse.ts";
import type { PublishService } from "../../domain/services/publish_service.ts";
import type { TokenBucket } from "../../domain/services/token_bucket.ts";

/** Consecutive rate-limited publishes after which a connection is treated as a flood and closed. */
const FLOOD_STRIKES = 200;

/** WebSocket ingress: frames in, acks and errors out, over the shared PublishService. */
export function publisherHandlers(service: PublishService): SessionHandlers {
  const state = new WeakMap<Session, { bucket: TokenBucket; strikes: number }>();
  const stateOf = (s: Session) => {
    let st = state.get(s);
    if (!st) state.set(s, st = { bucket: service.connectionBucket(), strikes: 0 });
    return st;
  };
  return {
    onText(session, data) {
      let frame: ProducerClientFrame;
      try {
        frame = parseFrame(ProducerClientFrame, data);
      } catch (err) {
        const e = toAppError(err);
        session.send({ id: requestIdOf(data), type: "error", code: e.code, message: e.message });
        return;
      }
      if (frame.type === "ping") {
        session.send({ id: frame.id, type: "pong" });
        return;
      }
      const st = stateOf(session);
      service.publish(session.principal.userId, frame, st.bucket).then(
        (receipt) => {
          st.strikes = 0;
          session.send({ id: frame.id, type: "ack", ...receipt });
        },
        (err) => {
          const e = toAppError(err);
          if (e.code === "INTERNAL") session.logger.error("publish failed", { err });
          session.send({ id: frame.id, type: "error", code: e.code, message: e.message });
          if (e instanceof AppError && e.code === "RATE_LIMITED" && ++st.strikes >= FLOOD_STRIKES) {
            session.close(CloseCode.RATE_LIMITED, "flooding");
          }
        },
      );
    },
  };
}
