import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { ChannelId } from "../../../../shared/domain/channel.ts";
import { errorResponses, jsonContent } from "../../../../shared/http/schemas.ts";
import type { TokenVerifier } from "../../../../shared/ports/tokens.ts";
import type { ChannelService } from "../../domain/services/channel_service.ts";
import { callerOf } from "./caller.ts";

const Kind = z.enum(["public", "private", "direct"]);
const Channel = z.object({ id: z.string(), kind: Kind, lastSeq: z.number().int() })
  .openapi("Channel");
const MyChannel = Channel.extend({
  role: z.enum(["owner", "member"]),
  lastReadSeq: z.number().int(),
  unread: z.number().int().openapi({
    description: "ordinary messages after your read marker (edits, deletes, reactions are not)",
  }),
  peer: z.uuid().optional().openapi({ description: "the other user of a direct channel" }),
  peerLastReadSeq: z.number().int().optional().openapi({
    description: "the other user's read marker in a direct channel",
  }),
}).openapi("MyChannel");
const Membership = z.object({ channel: z.string(), userId: z.uuid(), added: z.boolean() })
  .openapi("Membership");
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  ...jsonContent(schema),
});
const body = <T extends z.ZodType>(schema: T) => ({ ...jsonContent(schema), required: true });
const security = [{ bearer: [] }];

const createChannel = createRoute({
  method: "post",
  path: "/v1/channels",
  tags: ["channels"],
  summary: "Create a public or private channel; the caller becomes its owner",
  security,
  request: {
    body: body(z.object({ id: ChannelId, kind: z.enum(["public", "private"]) })),
  },
  responses: {
    201: json(Channel, "created"),
    ...errorResponses(400, 401, 409, 503),
  },
});

const listChannels = createRoute({
  method: "get",
  path: "/v1/channels",
  tags: ["channels"],
  summary: "The caller's channels with unread counts",
  security,
  responses: {
    200: json(z.object({ channels: z.array(MyChannel) }), "the caller's channels, by id"),
    ...errorResponses(401, 503),
  },
});

const addMember = createRoute({
  method: "post",
  path: "/v1/channels/{id}/members",
  tags: ["channels"],
  summary: "Add a member (the owner adds anyone; anyone may join a public channel themselves)",
  security,
  request: {
    params: z.object({ id: ChannelId }),
    body: body(z.object({ userId: z.uuid() })),
  },
  responses: {
    200: json(Membership, "added, or a member already (added: false)"),
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

const removeMember = createRoute({
  method: "delete",
  path: "/v1/channels/{id}/members/{userId}",
  tags: ["channels"],
  summary: "Remove a member (the owner removes anyone but themselves; anyone may leave)",
  security,
  request: { params: z.object({ id: ChannelId, userId: z.uuid() }) },
  responses: {
    204: { description: "removed" },
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

const openDirect = createRoute({
  method: "post",
  path: "/v1/dm/{userId}",
  tags: ["channels"],
  summary: "The direct channel between the caller and another user (idempotent)",
  security,
  request: { params: z.object({ userId: z.uuid() }) },
  responses: {
    200: json(z.object({ id: z.string(), kind: Kind, created: z.boolean() }), "the channel"),
    ...errorResponses(400, 401, 404, 409, 503),
  },
});

const markRead = createRoute({
  method: "post",
  path: "/v1/channels/{id}/read",
  tags: ["channels"],
  summary: "Move the caller's read marker forward (never back) to `seq`",
  security,
  request: {
    params: z.object({ id: ChannelId }),
    body: body(z.object({ seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) })),
  },
  responses: {
    200: json(
      z.object({ channel: z.string(), lastReadSeq: z.number().int(), unread: z.number().int() }),
      "the read marker now",
    ),
    ...errorResponses(400, 401, 403, 503),
  },
});

/** Channels, members, direct channels and read markers over HTTP, for an authenticated caller. */
export function mountChannelRoutes(
  app: OpenAPIHono,
  deps: { verifier: TokenVerifier; channels: ChannelService },
): void {
  const middleware = callerOf(deps.verifier);
  app.openapi({ ...createChannel, middleware }, async (c) => {
    const userId = c.var.caller;
    const { id, kind } = c.req.valid("json");
    return c.json(await deps.channels.create(userId, id, kind), 201);
  });
  app.openapi({ ...listChannels, middleware }, async (c) => {
    const userId = c.var.caller;
    return c.json({ channels: await deps.channels.listMine(userId) }, 200);
  });
  app.openapi({ ...addMember, middleware }, async (c) => {
    const actor = c.var.caller;
    const { id } = c.req.valid("param");
    const { userId } = c.req.valid("json");
    const added = await deps.channels.addMember(actor, id, userId);
    return c.json({ channel: id, userId, added }, 200);
  });
  app.openapi({ ...removeMember, middleware }, async (c) => {
    const actor = c.var.caller;
    const { id, userId } = c.req.valid("param");
    await deps.channels.removeMember(actor, id, userId);
    return c.body(null, 204);
  });
  app.openapi({ ...openDirect, middleware }, async (c) => {
    const actor = c.var.caller;
    const { userId } = c.req.valid("param");
    const { id, created } = await deps.channels.openDirect(actor, userId);
    return c.json({ id, kind: "direct" as const, created }, 200);
  });
  app.openapi({ ...markRead, middleware }, async (c) => {
    const userId = c.var.caller;
    const { id } = c.req.valid("param");
    const { seq } = c.req.valid("json");
    return c.json({ channel: id, ...await deps.channels.markRead(userId, id, seq) }, 200);
  });
}
