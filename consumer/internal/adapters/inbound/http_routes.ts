import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { bearerToken } from "../../../../shared/auth/jwt_verifier.ts";
import { ChannelId } from "../../../../shared/domain/channel.ts";
import { AppError } from "../../../../shared/errors.ts";
import { errorResponses } from "../../../../shared/http/schemas.ts";
import type { SessionHandlers, SocketServer } from "../../../../shared/http/ws_session.ts";
import type { ChannelAccess } from "../../../../shared/ports/channel_access.ts";
import type { TokenVerifier } from "../../../../shared/ports/tokens.ts";
import type { MessageStore } from "../../domain/ports/message_store.ts";

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
  description: "Returns messages with after < seq < before, oldest first, at most `limit` (≤ 100).",
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

export function mountConsumerRoutes(
  app: OpenAPIHono,
  deps: {
    verifier: TokenVerifier;
    access: ChannelAccess;
    store: MessageStore;
    sockets: SocketServer;
    handlers: SessionHandlers;
  },
): void {
  app.get("/v1/ws", (c) => deps.sockets.upgrade(c.req.raw, deps.handlers));
  app.openapi(historyRoute, async (c) => {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) throw new AppError("UNAUTHENTICATED", "missing bearer token");
    const principal = await deps.verifier.verify(token);
    const { id } = c.req.valid("param");
    const { after, before, limit } = c.req.valid("query");
    await deps.access.authorize(principal.userId, id);
    const lastSeq = await deps.store.lastSeq(id);
    const upTo = Math.min(lastSeq, (before ?? Number.MAX_SAFE_INTEGER) - 1);
    // Without `after`, the newest page before `before` (what a chat shows first).
    const from = after ?? Math.max(0, upTo - limit);
    const messages = await deps.store.range(id, from, upTo, limit);
    return c.json({ messages, lastSeq }, 200);
  });
}
