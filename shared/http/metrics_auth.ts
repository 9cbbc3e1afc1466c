import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { bearerToken } from "../auth/jwt_verifier.ts";
import { AppError } from "../errors.ts";

const encoder = new TextEncoder();

/**
 * `/metrics` tells an outsider a lot (traffic, users online, failures): with METRICS_TOKEN set,
 * only a scraper sending `Authorization: Bearer <token>` gets it. Unset, it stays open, for a
 * private network or a proxy that does not publish the path.
 */
export function metricsAuth(token: string | undefined): MiddlewareHandler {
  const expected = token === undefined ? undefined : encoder.encode(token);
  return async (c, next) => {
    if (expected) {
      const given = encoder.encode(bearerToken(c.req.header("authorization")) ?? "");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new AppError("UNAUTHENTICATED", "metrics need the metrics token");
      }
    }
    await next();
  };
}
