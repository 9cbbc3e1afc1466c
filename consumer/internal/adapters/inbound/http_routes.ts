import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { ChannelId } from "../../../../shared/domain/channel.ts";
import { errorResponses, jsonContent } from "../../../../shared/http/schemas.ts";
import type { SessionHandlers, SocketServer } from "../../../../shared/http/ws_session.ts";
import type { ChannelAccess } from "../../../../shared/ports/channel_access.ts";
import type { TokenVerifier } from "../../../../shared/ports/tokens.ts";
import type { MessageStore } from "../../domain/ports/message_store.ts";
import { authenticate } from "./authenticate.ts";
import { HISTORY_DESCRIPTION, HistoryQuery, MessagePage, readHistory } from "./history.ts";

/** Who is online on a channel, for users and backends alike. */
export const Presence = z.object({ channel: z.string(), online: z.array(z.uuid()) })
  .openapi("Presence");

const historyRoute = createRoute({
  method: "get",
  path: "/v1/channels/{id}/messages",
  tags: ["messages"],
  summary: "Message history, oldest first, paged by seq",
  description: HISTORY_DESCRIPTION,
  security: [{ bearer: [] }],
  request: {
    params: z.object({ id: ChannelId }),
    query: HistoryQuery,
  },
  responses: {
    200: { description: "a page of messages", ...jsonContent(MessagePage) },
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
    200: { description: "user ids online on the channel", ...jsonContent(Presence) },
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
    const query = c.req.valid("query");
    await deps.access.authorize(principal.userId, id);
    return c.json(await readHistory(deps.store, id, query), 200);
  });
  app.openapi(presenceRoute, async (c) => {
    const principal = await authenticate(deps.verifier, c.req.header("authorization"));
    const { id } = c.req.valid("param");
    await deps.access.authorize(principal.userId, id);
    return c.json({ channel: id, online: deps.online(id) }, 200);
  });
}
