import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { ApiKeyScope } from "./api_key.ts";
import type { ApiKeyGuard } from "./guard.ts";

/** The `security` of every server API route: `Authorization: ApiKey <key>`. */
export const apiKeySecurity = [{ apiKey: [] }];

/**
 * Guards the server API routes under `path` with the scope each method needs. Registered before the routes, so the
 * key is checked before the body is: an unauthenticated caller learns nothing from validation.
 */
export function requireApiKey(
  app: OpenAPIHono,
  path: string,
  guard: ApiKeyGuard,
  scopeFor: (method: string) => ApiKeyScope,
): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "`ApiKey <key>`, a key made with `deno task apikey:create`",
  });
  const check: MiddlewareHandler = async (c, next) => {
    await guard.require(c.req.header("authorization"), scopeFor(c.req.method));
    await next();
  };
  app.use(path, check);
}
