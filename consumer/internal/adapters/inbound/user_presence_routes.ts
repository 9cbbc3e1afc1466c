import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { errorResponses, jsonContent } from "../../../../shared/http/schemas.ts";
import type { TokenVerifier } from "../../../../shared/ports/tokens.ts";
import type { UserPresence } from "../../domain/services/user_presence.ts";
import { callerOf } from "./caller.ts";

/** One request asks about at most this many users (checked before any query). */
export const MAX_PRESENCE_IDS = 100;

const UserPresenceState = z.object({
  id: z.uuid(),
  online: z.boolean().openapi({ description: "holds a socket on any consumer instance" }),
  lastSeen: z.iso.datetime().nullable().openapi({
    description: "when their last socket closed; null if never recorded",
  }),
}).openapi("UserPresence");

const Ids = z.string().transform((s) => s.split(",").filter(Boolean)).pipe(
  z.array(z.uuid()).min(1).max(MAX_PRESENCE_IDS),
);

const usersPresence = createRoute({
  method: "get",
  path: "/v1/presence/users",
  tags: ["presence"],
  summary: "Online and last seen of users the caller shares a channel or DM with",
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      ids: Ids.openapi({ description: `comma-separated user ids, at most ${MAX_PRESENCE_IDS}` }),
    }),
  },
  responses: {
    200: {
      description: "each asked user, in the order asked",
      ...jsonContent(z.object({ users: z.array(UserPresenceState) })),
    },
    ...errorResponses(400, 401, 403, 503),
  },
});

/** User-level presence over HTTP: FORBIDDEN for anyone the caller shares no channel with. */
export function mountUserPresenceRoutes(
  app: OpenAPIHono,
  deps: { verifier: TokenVerifier; presence: UserPresence },
): void {
  app.openapi({ ...usersPresence, middleware: callerOf(deps.verifier) }, async (c) => {
    const { ids } = c.req.valid("query");
    return c.json({ users: await deps.presence.read(c.var.caller, ids) }, 200);
  });
}
