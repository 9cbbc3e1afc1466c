import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { JSONWebKeySet } from "jose";
import { bearerToken } from "../../shared/auth/jwt_verifier.ts";
import { errorResponses, jsonContent } from "../../shared/http/schemas.ts";
import type { ClientAddresses } from "./client_address.ts";
import {
  LoginInput,
  RefreshInput,
  RegisterInput,
  RegistrationView,
  TokenView,
  UserView,
} from "./schemas.ts";
import type { AuthService, ClientInfo } from "./service.ts";

const register = createRoute({
  method: "post",
  path: "/v1/auth/register",
  tags: ["auth"],
  summary: "Create an account",
  description: "A taken email answers exactly as a free one (201, the same body): registering " +
    "does not reveal who has an account. Log in to use the new account.",
  request: { body: { ...jsonContent(RegisterInput), required: true } },
  responses: {
    201: { description: "registered", ...jsonContent(RegistrationView) },
    ...errorResponses(400, 413, 429, 503),
  },
});

const login = createRoute({
  method: "post",
  path: "/v1/auth/login",
  tags: ["auth"],
  summary: "Exchange email and password for an access token and a refresh token",
  request: { body: { ...jsonContent(LoginInput), required: true } },
  responses: {
    200: { description: "logged in", ...jsonContent(TokenView) },
    ...errorResponses(400, 401, 413, 429, 503),
  },
});

const refresh = createRoute({
  method: "post",
  path: "/v1/auth/refresh",
  tags: ["auth"],
  summary: "Spend a refresh token for a new pair (same shape as login)",
  description: "Each refresh token works once. Presenting a spent one revokes every token of its " +
    "login (theft detection) and answers 401.",
  request: { body: { ...jsonContent(RefreshInput), required: true } },
  responses: {
    200: { description: "a new access and refresh token", ...jsonContent(TokenView) },
    ...errorResponses(400, 401, 413, 503),
  },
});

const logout = createRoute({
  method: "post",
  path: "/v1/auth/logout",
  tags: ["auth"],
  summary: "Revoke the refresh token and every token rotated from the same login",
  request: { body: { ...jsonContent(RefreshInput), required: true } },
  responses: {
    204: { description: "revoked (also for an unknown token)" },
    ...errorResponses(400, 413, 503),
  },
});

const me = createRoute({
  method: "get",
  path: "/v1/auth/me",
  tags: ["auth"],
  summary: "The account the access token belongs to",
  security: [{ bearer: [] }],
  responses: {
    200: { description: "the user", ...jsonContent(UserView) },
    ...errorResponses(401, 503),
  },
});

/** The browser-facing HTTP façade over the same AuthService that gRPC serves. */
export function mountAuthRoutes(
  app: OpenAPIHono,
  service: AuthService,
  jwks: JSONWebKeySet,
  addresses: ClientAddresses,
): void {
  // The socket's address (serveHttp hands Deno's ServeHandlerInfo to Hono as its env).
  const client = (c: Context): ClientInfo => {
    const info = c.env as Deno.ServeHandlerInfo<Deno.NetAddr> | undefined;
    const peer = info?.remoteAddr?.hostname ?? "unknown";
    return { ip: addresses.resolve(peer, c.req.header("x-forwarded-for")) };
  };
  // Tokens and account data must never sit in a shared or browser cache (RFC 6749 §5.1).
  app.use("/v1/auth/*", async (c, next) => {
    await next();
    c.header("Cache-Control", "no-store");
  });
  app.openapi(
    register,
    async (c) => c.json(await service.register(c.req.valid("json"), client(c)), 201),
  );
  app.openapi(login, async (c) => c.json(await service.login(c.req.valid("json"), client(c)), 200));
  app.openapi(refresh, async (c) => c.json(await service.refresh(c.req.valid("json")), 200));
  app.openapi(logout, async (c) => {
    await service.revoke(c.req.valid("json"));
    return c.body(null, 204);
  });
  app.openapi(
    me,
    async (c) => c.json(await service.me(bearerToken(c.req.header("authorization"))), 200),
  );
  app.get("/.well-known/jwks.json", (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.json(jwks);
  });
}
