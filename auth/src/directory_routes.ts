import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { bearerToken } from "../../shared/auth/jwt_verifier.ts";
import { AppError } from "../../shared/errors.ts";
import { errorResponses, jsonContent } from "../../shared/http/schemas.ts";
import type { TokenVerifier } from "../../shared/ports/tokens.ts";
import type { Directory } from "./directory.ts";
import {
  LookupInput,
  ProfileList,
  ProfileUpdate,
  ProfileView,
  UserIdParam,
  UserSearch,
  UserView,
} from "./schemas.ts";

const tags = ["users"];
const security = [{ bearer: [] }];

const getMe = createRoute({
  method: "get",
  path: "/v1/users/me",
  tags,
  summary: "Your account, with email",
  security,
  responses: {
    200: { description: "your account", ...jsonContent(UserView) },
    ...errorResponses(401, 503),
  },
});

const patchMe = createRoute({
  method: "patch",
  path: "/v1/users/me",
  tags,
  summary: "Change your display name",
  security,
  request: { body: { ...jsonContent(ProfileUpdate), required: true } },
  responses: {
    200: { description: "your account as changed", ...jsonContent(UserView) },
    ...errorResponses(400, 401, 413, 503),
  },
});

const lookup = createRoute({
  method: "post",
  path: "/v1/users/lookup",
  tags,
  summary: "Profiles of up to 100 users at once (the senders and members a page shows)",
  description: "Answers the ids that exist, in the order asked; unknown ids are left out.",
  security,
  request: { body: { ...jsonContent(LookupInput), required: true } },
  responses: {
    200: { description: "the profiles found", ...jsonContent(ProfileList) },
    ...errorResponses(400, 401, 413, 503),
  },
});

const search = createRoute({
  method: "get",
  path: "/v1/users",
  tags,
  summary: "Find people by the start of their name (or of a word of it) or by exact email",
  description: "At most 20 profiles, by name; emails are never listed. Rate limited per account " +
    "(AUTH_SEARCH_MAX_PER_MINUTE).",
  security,
  request: { query: UserSearch },
  responses: {
    200: { description: "matching profiles", ...jsonContent(ProfileList) },
    ...errorResponses(400, 401, 429, 503),
  },
});

const getUser = createRoute({
  method: "get",
  path: "/v1/users/{id}",
  tags,
  summary: "A user's profile (name, no email)",
  security,
  request: { params: UserIdParam },
  responses: {
    200: { description: "the profile", ...jsonContent(ProfileView) },
    ...errorResponses(400, 401, 404, 503),
  },
});

/** What `caller` leaves for a handler: the authenticated user's id. */
type CallerEnv = { Variables: { caller: string } };

/** Profile and directory routes; every one needs an access token. */
export function mountDirectoryRoutes(
  app: OpenAPIHono,
  directory: Directory,
  verifier: TokenVerifier,
): void {
  // Route middleware runs before the request is validated: a bad token is 401, whatever the body.
  const middleware = createMiddleware<CallerEnv>(async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) throw new AppError("UNAUTHENTICATED", "missing bearer token");
    c.set("caller", (await verifier.verify(token)).userId);
    await next();
  });
  // Profiles change (a rename): a browser asks again rather than trusting a cached copy.
  const noStore: MiddlewareHandler = async (c, next) => {
    await next();
    c.header("Cache-Control", "private, no-store");
  };
  app.use("/v1/users", noStore);
  app.use("/v1/users/*", noStore);
  // `me` before `{id}`: the static path must win.
  app.openapi({ ...getMe, middleware }, async (c) => c.json(await directory.me(c.var.caller), 200));
  app.openapi(
    { ...patchMe, middleware },
    async (c) => c.json(await directory.update(c.var.caller, c.req.valid("json")), 200),
  );
  app.openapi(
    { ...lookup, middleware },
    async (c) => c.json(await directory.lookup(c.req.valid("json")), 200),
  );
  app.openapi(
    { ...search, middleware },
    async (c) => c.json(await directory.search(c.var.caller, c.req.valid("query")), 200),
  );
  app.openapi(
    { ...getUser, middleware },
    async (c) => c.json(await directory.profile(c.req.valid("param").id), 200),
  );
}
