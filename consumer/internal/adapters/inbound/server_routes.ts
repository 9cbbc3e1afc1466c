import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { ApiKeyGuard } from "../../../../shared/apikeys/guard.ts";
import { apiKeySecurity, requireApiKey } from "../../../../shared/apikeys/http.ts";
import { ChannelId } from "../../../../shared/domain/channel.ts";
import { errorResponses, jsonContent } from "../../../../shared/http/schemas.ts";
import type { MessageStore } from "../../domain/ports/message_store.ts";
import type { ServerAdmin } from "../../domain/services/server_admin.ts";
import { HISTORY_DESCRIPTION, HistoryQuery, MessagePage, readHistory } from "./history.ts";
import { Presence } from "./http_routes.ts";

const tags = ["server API"];
const security = apiKeySecurity;
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  ...jsonContent(schema),
});
const body = <T extends z.ZodType>(schema: T) => ({ ...jsonContent(schema), required: true });
const Kind = z.enum(["public", "private", "direct"]);
const Accepted = z.object({ userId: z.uuid() }).openapi("ServerCommandAccepted");
/** Requests' parts, also what the gRPC calls validate against. */
export const UserParam = z.object({ id: z.uuid() });
export const ChannelParam = z.object({ id: ChannelId });
export const UnsubscribeBody = z.object({ channel: ChannelId });
export const CreateChannelBody = z.object({
  id: ChannelId,
  kind: z.enum(["public", "private"]),
  owner: z.uuid().optional().openapi({ description: "its owner; no person when absent" }),
});
export const MemberParams = z.object({ id: ChannelId, userId: z.uuid() });
const channelParam = { params: ChannelParam };

const disconnect = createRoute({
  method: "post",
  path: "/v1/server/users/{id}/disconnect",
  tags,
  summary: "Close every socket of a user on every instance (API key scope: moderate)",
  description: "Sockets close with code 4010, which the SDK takes as final: it does not " +
    "reconnect. The user's tokens stay valid; a client that ignores the code can come back.",
  security,
  request: { params: UserParam },
  responses: {
    202: json(Accepted, "announced to every instance"),
    ...errorResponses(400, 401, 403, 503),
  },
});

const unsubscribe = createRoute({
  method: "post",
  path: "/v1/server/users/{id}/unsubscribe",
  tags,
  summary: "End a user's subscriptions to a channel on every instance (API key scope: moderate)",
  description: "Each subscription ends with an error frame naming the channel; the SDK does not " +
    "subscribe again by itself. Membership is unchanged.",
  security,
  request: { params: UserParam, body: body(UnsubscribeBody) },
  responses: {
    202: json(Accepted.extend({ channel: z.string() }), "announced to every instance"),
    ...errorResponses(400, 401, 403, 503),
  },
});

const presence = createRoute({
  method: "get",
  path: "/v1/server/channels/{id}/presence",
  tags,
  summary: "Who is online on a channel (API key scope: read)",
  security,
  request: channelParam,
  responses: {
    200: json(Presence, "user ids online on the channel"),
    ...errorResponses(400, 401, 403),
  },
});

const history = createRoute({
  method: "get",
  path: "/v1/server/channels/{id}/messages",
  tags,
  summary: "Message history, paged as for users (API key scope: read)",
  description: HISTORY_DESCRIPTION,
  security,
  request: { ...channelParam, query: HistoryQuery },
  responses: {
    200: json(MessagePage, "a page of messages"),
    ...errorResponses(400, 401, 403, 503),
  },
});

const describe = createRoute({
  method: "get",
  path: "/v1/server/channels/{id}",
  tags,
  summary: "A channel: kind, members, last seq, who is subscribed now (API key scope: read)",
  security,
  request: channelParam,
  responses: {
    200: json(
      z.object({
        id: z.string(),
        kind: Kind,
        lastSeq: z.number().int(),
        members: z.array(z.object({ userId: z.uuid(), role: z.enum(["owner", "member"]) })),
        memberCount: z.number().int().openapi({ description: "members lists the first 1,000" }),
        online: z.array(z.uuid()).openapi({ description: "users subscribed now, any instance" }),
      }).openapi("ServerChannel"),
      "the channel",
    ),
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

const create = createRoute({
  method: "post",
  path: "/v1/server/channels",
  tags,
  summary: "Create a channel (API key scope: moderate)",
  security,
  request: {
    body: body(CreateChannelBody),
  },
  responses: {
    201: json(
      z.object({ id: z.string(), kind: Kind, lastSeq: z.number().int() }),
      "created",
    ),
    ...errorResponses(400, 401, 403, 404, 409, 503),
  },
});

const addMember = createRoute({
  method: "post",
  path: "/v1/server/channels/{id}/members",
  tags,
  summary: "Add a member to a channel (API key scope: moderate)",
  security,
  request: { ...channelParam, body: body(z.object({ userId: z.uuid() })) },
  responses: {
    200: json(
      z.object({ channel: z.string(), userId: z.uuid(), added: z.boolean() }),
      "added, or a member already (added: false)",
    ),
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

const removeMember = createRoute({
  method: "delete",
  path: "/v1/server/channels/{id}/members/{userId}",
  tags,
  summary: "Remove a member; off a public channel their subscriptions end (scope: moderate)",
  security,
  request: { params: MemberParams },
  responses: {
    204: { description: "removed" },
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

/** The consumer's part of the server API: users' sockets, channels, members, history. */
export function mountServerAdminRoutes(
  app: OpenAPIHono,
  deps: { guard: ApiKeyGuard; admin: ServerAdmin; store: MessageStore },
): void {
  // Reads need `read`; everything that changes a channel or a user's sockets needs `moderate`.
  requireApiKey(
    app,
    "/v1/server/*",
    deps.guard,
    (method) => method === "GET" ? "read" : "moderate",
  );
  app.openapi(disconnect, (c) => {
    const { id } = c.req.valid("param");
    deps.admin.disconnect(id);
    return c.json({ userId: id }, 202);
  });
  app.openapi(unsubscribe, (c) => {
    const { id } = c.req.valid("param");
    const { channel } = c.req.valid("json");
    deps.admin.unsubscribe(id, channel);
    return c.json({ userId: id, channel }, 202);
  });
  app.openapi(presence, (c) => {
    const { id } = c.req.valid("param");
    return c.json({ channel: id, online: deps.admin.presence(id) }, 200);
  });
  app.openapi(history, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await readHistory(deps.store, id, c.req.valid("query")), 200);
  });
  app.openapi(
    describe,
    async (c) => c.json(await deps.admin.describe(c.req.valid("param").id), 200),
  );
  app.openapi(create, async (c) => {
    const { id, kind, owner } = c.req.valid("json");
    return c.json(await deps.admin.createChannel(id, kind, owner), 201);
  });
  app.openapi(addMember, async (c) => {
    const { id } = c.req.valid("param");
    const { userId } = c.req.valid("json");
    return c.json({ channel: id, userId, added: await deps.admin.addMember(id, userId) }, 200);
  });
  app.openapi(removeMember, async (c) => {
    const { id, userId } = c.req.valid("param");
    await deps.admin.removeMember(id, userId);
    return c.body(null, 204);
  });
}
