import { createMiddleware } from "hono/factory";
import type { TokenVerifier } from "../../../../shared/ports/tokens.ts";
import { authenticate } from "./authenticate.ts";

/** What callerOf leaves for a route's handler: the authenticated caller's user id. */
type CallerEnv = { Variables: { caller: string } };

/** Authenticates a request's bearer token once, before its handler, as `c.var.caller`. */
export function callerOf(verifier: TokenVerifier) {
  return createMiddleware<CallerEnv>(async (c, next) => {
    c.set("caller", (await authenticate(verifier, c.req.header("authorization"))).userId);
    await next();
  });
}
