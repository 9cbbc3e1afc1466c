import type { OpenAPIHono } from "@hono/zod-openapi";
import { bearerToken } from "../../../../shared/auth/jwt_verifier.ts";
import { AppError } from "../../../../shared/errors.ts";
import type { TokenVerifier } from "../../../../shared/ports/tokens.ts";
import { KeyedBuckets } from "../../../../shared/rate/keyed_buckets.ts";
import type { Rate } from "../../../../shared/rate/token_bucket.ts";

/** The API paths a user's rate covers: channels, members, read markers, history, DMs, presence. */
const PATHS = ["/v1/channels", "/v1/channels/*", "/v1/dm/*", "/v1/presence/*"];

/**
 * Each user's requests to the channel API share one token bucket (per instance). Runs before the
 * routes; a request without a valid token passes through and is refused there (401).
 */
export function limitApiRate(app: OpenAPIHono, verifier: TokenVerifier, rate: Rate): void {
  const buckets = new KeyedBuckets(rate);
  const limited = new WeakSet<Request>(); // one token per request, however many paths match
  for (const path of PATHS) {
    app.use(path, async (c, next) => {
      const token = bearerToken(c.req.header("authorization"));
      if (token && !limited.has(c.req.raw)) {
        limited.add(c.req.raw);
        const userId = await verifier.verify(token).then((p) => p.userId, () => undefined);
        const bucket = userId === undefined ? undefined : buckets.of(userId);
        if (bucket && !bucket.take()) {
          throw new AppError("RATE_LIMITED", "too many requests", bucket.retryAfterSeconds());
        }
      }
      await next();
    });
  }
}
