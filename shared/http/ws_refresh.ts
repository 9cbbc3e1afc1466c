import { toAppError } from "../errors.ts";
import { CloseCode, errorFrame, type RefreshFrame } from "../protocol/frames.ts";
import type { Session } from "./ws_session.ts";

/**
 * Answers an in-band token refresh: `refreshed {expiresAt}` and the socket lives on, with its
 * subscriptions, until the new token expires; an error otherwise (another user's token also
 * closes the socket).
 */
export function answerRefresh(session: Session, frame: RefreshFrame): void {
  session.refresh(frame.token).then(
    (principal) =>
      session.send({ id: frame.id, type: "refreshed", expiresAt: principal.expiresAt }),
    (err) => {
      const e = toAppError(err);
      session.logger.info("token refresh refused", { code: e.code });
      session.send(errorFrame(frame.id, e));
      // Another user's token on this socket is someone else's session: end it.
      if (e.code === "FORBIDDEN") session.close(CloseCode.TOKEN_MISMATCH, e.message);
    },
  );
}
