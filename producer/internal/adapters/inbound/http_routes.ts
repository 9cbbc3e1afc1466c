import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { bearerToken } from "../../../../shared/auth/jwt_verifier.ts";
import { ChannelId } from "../../../../shared/domain/channel.ts";
import { ClientMsgId } from "../../../../shared/domain/message.ts";
import { EventKind, TargetSeq } from "../../../../shared/domain/message_event.ts";
import { AppError } from "../../../../shared/errors.ts";
import { errorResponses, jsonContent } from "../../../../shared/http/schemas.ts";
import type { SocketServer } from "../../../../shared/http/ws_session.ts";
import type { TokenVerifier } from "../../../../shared/ports/tokens.ts";
import type { PublishService } from "../../domain/services/publish_service.ts";
import type { Rate } from "../../../../shared/rate/token_bucket.ts";
import { publisherHandlers } from "./ws_publisher.ts";

const PublishBody = z.object({
  clientMsgId: ClientMsgId,
  body: z.string().openapi({ example: "hello" }),
  kind: EventKind.optional().openapi({
    description: "edit, delete, react or unreact the message at seq `target` (absent: a message)",
  }),
  target: TargetSeq.optional(),
}).openapi("PublishRequest");

/** The receipt of a publish, by a client or a backend alike. */
export const Receipt = z.object({
  channel: z.string(),
  clientMsgId: z.string(),
  streamSeq: z.number().int(),
}).openapi("PublishReceipt");

const publishRoute = createRoute({
  method: "post",
  path: "/v1/channels/{id}/messages",
  tags: ["messages"],
  summary:
    "Publish a message, an edit, a delete or a reaction (same path as the WebSocket publish)",
  security: [{ bearer: [] }],
  request: {
    params: z.object({ id: ChannelId }),
    body: { ...jsonContent(PublishBody), required: true },
  },
  responses: {
    202: {
      description: "stored in the durable log; will be persisted and delivered",
      ...jsonContent(Receipt),
    },
    ...errorResponses(400, 401, 403, 404, 413, 429, 503),
  },
});

export function mountProducerRoutes(
  app: OpenAPIHono,
  deps: {
    service: PublishService;
    verifier: TokenVerifier;
    sockets: SocketServer;
    flood: Rate;
  },
): void {
  const handlers = publisherHandlers(deps.service, deps.flood);
  app.get("/v1/ws", (c) => deps.sockets.upgrade(c.req.raw, handlers));
  app.openapi(publishRoute, async (c) => {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) throw new AppError("UNAUTHENTICATED", "missing bearer token");
    const principal = await deps.verifier.verify(token);
    const { id } = c.req.valid("param");
    const receipt = await deps.service.publish(principal.userId, {
      channel: id,
      ...c.req.valid("json"),
    });
    return c.json(receipt, 202);
  });
}
