import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { JSONWebKeySet } from "jose";
import { errorResponses } from "../../shared/http/schemas.ts";
import { LoginInput, RegisterInput, TokenView, UserView } from "./schemas.ts";
import type { AuthService } from "./service.ts";

const json = <T>(schema: T) => ({ content: { "application/json": { schema } } });

const register = createRoute({
  method: "post",
  path: "/v1/auth/register",
  tags: ["auth"],
  summary: "Create an account",
  request: { body: { ...json(RegisterInput), required: true } },
  responses: {
    201: { description: "created", ...json(UserView) },
    ...errorResponses(400, 409, 413, 429, 503),
  },
});

const login = createRoute({
  method: "post",
  path: "/v1/auth/login",
  tags: ["auth"],
  summary: "Exchange email and password for an access token",
  request: { body: { ...json(LoginInput), required: true } },
  responses: {
    200: { description: "logged in", ...json(TokenView) },
    ...errorResponses(400, 401, 413, 429, 503),
  },
});

/** The browser-facing HTTP façade over the same AuthService that gRPC serves. */
export function mountAuthRoutes(app: OpenAPIHono, service: AuthService, jwks: JSONWebKeySet): void {
  app.openapi(register, async (c) => c.json(await service.register(c.req.valid("json")), 201));
  app.openapi(login, async (c) => c.json(await service.login(c.req.valid("json")), 200));
  app.get("/.well-known/jwks.json", (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.json(jwks);
  });
}
