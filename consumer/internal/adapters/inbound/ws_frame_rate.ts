import type { SessionHandlers } from "../../../../shared/http/ws_session.ts";
import { requestIdOf } from "../../../../shared/protocol/parse.ts";
import { type Rate, TokenBucket } from "../../../../shared/rate/token_bucket.ts";

/**
 * Bounds each socket's subscribe/unsubscribe/typing frames (and junk) to `rate`; pings are free.
 * Churn beyond it is answered RATE_LIMITED without reaching the hub, the database or presence.
 */
export function limitFrameRate(handlers: SessionHandlers, rate: Rate): SessionHandlers {
  const buckets = new WeakMap<object, TokenBucket>();
  return {
    ...handlers,
    onText(session, data) {
      if (!isPing(data)) {
        let bucket = buckets.get(session);
        if (!bucket) buckets.set(session, bucket = new TokenBucket(rate));
        if (!bucket.take()) {
          session.send({
            id: requestIdOf(data),
            type: "error",
            code: "RATE_LIMITED",
            message: "subscribing and unsubscribing too fast",
          });
          return;
        }
      }
      handlers.onText(session, data);
    },
  };
}

function isPing(data: string): boolean {
  try {
    return (JSON.parse(data) as { type?: unknown })?.type === "ping";
  } catch {
    return false;
  }
}
