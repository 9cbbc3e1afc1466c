import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { ApiKeyGuard } from "../../../../shared/apikeys/guard.ts";
import { apiKeySecurity, requireApiKey } from "../../../../shared/apikeys/http.ts";
import { ChannelId } from "../../../../shared/domain/channel.ts";
import { ClientMsgId } from "../../../../shared/domain/message.ts";
import { errorResponses, jsonContent } from "../../../../shared/http/schemas.ts";
import { Receipt } from "./http_routes.ts";
import type { ServerPublisher } from "../../domain/services/server_publisher.ts";

const MAX_BROADCAST_CHANNELS = 1_000;
/** What the longest channel list adds to a request (64 characters, quotes and a comma each). */
export const MAX_BROADCAST_LIST_BYTES = MAX_BROADCAST_CHANNELS * 67;

/** The request bodies, also what the gRPC calls validate against. */
export const ServerPublishBody = z.object({
  channel: ChannelId,
  body: z.string().openapi({ example: "deploy finished" }),
  clientMsgId: ClientMsgId.optional(),
  sender: z.uuid().optional().openapi({ description: "a user id; the system if absent" }),
}).openapi("ServerPublishRequest");

export const ServerBroadcastBody = z.object({
  channels: z.array(ChannelId).min(1).max(MAX_BROADCAST_CHANNELS),
  body: z.string(),
  clientMsgId: ClientMsgId.optional(),
}).openapi("ServerBroadcastRequest");

const publishRoute = createRoute({
  method: "post",
  path: "/v1/server/publish",
  tags: ["server API"],
  summary: "Publish as the system or on behalf of a user (API key scope: publish)",
  description: "Acknowledged once the durable log holds the message, as a client publish is. A " +
    "retry with the same clientMsgId (and sender) gets the same receipt and stores nothing new.",
  security: apiKeySecurity,
  request: {
    body: { ...jsonContent(ServerPublishBody), required: true },
  },
  responses: {
    202: { description: "stored in the durable log", ...jsonContent(Receipt) },
    ...errorResponses(400, 401, 403, 404, 413, 429, 503),
  },
});

const broadcastRoute = createRoute({
  method: "post",
  path: "/v1/server/broadcast",
  tags: ["server API"],
  summary: "Publish one message to many channels (API key scope: publish)",
  description: "Each channel gets its copy once; retry a failed broadcast with the same " +
    "clientMsgId and channels that already have theirs are not written again.",
  security: apiKeySecurity,
  request: {
    body: { ...jsonContent(ServerBroadcastBody), required: true },
  },
  responses: {
    202: {
      description: "every channel's copy is in the durable log",
      ...jsonContent(
        z.object({
          clientMsgId: z.string(),
          receipts: z.array(z.object({ channel: z.string(), streamSeq: z.number().int() })),
        }).openapi("ServerBroadcastReceipt"),
      ),
    },
    ...errorResponses(400, 401, 403, 404, 413, 429, 503),
  },
});

/** The producer's part of the server API: publishing for application backends. */
export function mountServerPublishRoutes(
  app: OpenAPIHono,
  deps: { guard: ApiKeyGuard; publisher: ServerPublisher },
): void {
  requireApiKey(app, "/v1/server/*", deps.guard, () => "publish");
  app.openapi(
    publishRoute,
    async (c) => c.json(await deps.publisher.publish(c.req.valid("json")), 202),
  );
  app.openapi(
    broadcastRoute,
    async (c) => c.json(await deps.publisher.broadcast(c.req.valid("json")), 202),
  );
}
