import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { ChannelId } from "../../../../shared/domain/channel.ts";
import { AppError } from "../../../../shared/errors.ts";
import { errorResponses } from "../../../../shared/http/schemas.ts";
import type { SessionHandlers, SocketServer } from "../../../../shared/http/ws_session.ts";
import type { ChannelAccess } from "../../../../shared/ports/channel_access.ts";
import type { TokenVerifier } from "../../../../shared/ports/tokens.ts";
import type { MessageStore } from "../../domain/ports/message_store.ts";
import { authenticate } from "./authenticate.ts";

const Message = z.object({
  channel: z.string(),
  seq: z.number().int(),
  id: z.uuid(),
  clientMsgId: z.string(),
  sender: z.uuid(),
  body: z.string(),
  sentAt: z.string(),
}).openapi("Message");

const MAX_PAGE = 100;
const Seq = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const historyRoute = createRoute({
  method: "get",
  path: "/v1/channels/{id}/messages",
  tags: ["messages"],
  summary: "Message history, oldest first, paged by seq",
  description: "Messages with after < seq < before, always oldest first, at most `limit` (1–100, " +
    "default 50). With `after`: the oldest page after it (page forward with after = the last " +
    "seq you got). Without `after`: the newest page before `before` (or the newest page), to " +
    "page backward with before = the first seq you got.",
  security: [{ bearer: [] }],
  request: {
    params: z.object({ id: ChannelId }),
    query: z.object({
      after: Seq.optional(),
      before: Seq.optional(),
      limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
    }),
  },
  responses: {
    200: {
      description: "a page of messages",
      content: {
        "application/json": {
          schema: z.object({ messages: z.array(Message), lastSeq: z.number().int() }),
        },
      },
    },
    ...errorResponses(400, 401, 403, 503),
  },
});

const presenceRoute = createRoute({
  method: "get",
  path: "/v1/channels/{id}/presence",
  tags: ["presence"],
  summary: "Who is online on a channel (subscribed on any consumer instance)",
  security: [{ bearer: [] }],
  request: { params: z.object({ id: ChannelId }) },
  responses: {
    200: {
      description: "user ids online on the channel",
      content: {
        "application/json": {
          schema: z.object({ channel: z.string(), online: z.array(z.uuid()) }).openapi(
            "Presence",
          ),
        },
      },
    },
    ...errorResponses(400, 401, 403, 503),
  },
});

export function mountConsumerRoutes(
  app: OpenAPIHono,
  deps: {
    verifier: TokenVerifier;
    access: ChannelAccess;
    store: MessageStore;
    sockets: SocketServer;
    handlers: SessionHandlers;
    online(channel: string): string[];
  },
): void {
  app.get("/v1/ws", (c) => deps.sockets.upgrade(c.req.raw, deps.handlers));
  app.openapi(historyRoute, async (c) => {
    const principal = await authenticate(deps.verifier, c.req.header("authorization"));
    const { id } = c.req.valid("param");
    const { after, before, limit } = c.req.valid("query");
    if (after !== undefined && before !== undefined && after >= before) {
      throw new AppError("INVALID", "after must be less than before");
    }
    await deps.access.authorize(principal.userId, id);
    const lastSeq = await deps.store.lastSeq(id);
    const upTo = Math.min(lastSeq, (before ?? Number.MAX_SAFE_INTEGER) - 1);
    const from = after ?? Math.max(0, upTo - limit);
    const messages = await deps.store.range(id, from, upTo, limit);
    return c.json({ messages, lastSeq }, 200);
  });
  app.openapi(presenceRoute, async (c) => {
    const principal = await authenticate(deps.verifier, c.req.header("authorization"));
    const { id } = c.req.valid("param");
    await deps.access.authorize(principal.userId, id);
    return c.json({ channel: id, online: deps.online(id) }, 200);
  });
}
