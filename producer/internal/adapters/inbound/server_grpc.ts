import type { ApiKeyGuard } from "../../../../shared/apikeys/guard.ts";
import { serverApiCalls } from "../../../../shared/grpc/server_api.ts";
import type { Logger } from "../../../../shared/logging/logger.ts";
import { validate } from "../../../../shared/validation/invalid.ts";
import type { ServerPublisher } from "../../domain/services/server_publisher.ts";
import { ServerBroadcastBody, ServerPublishBody } from "./server_routes.ts";

/**
 * The producer's part of the gRPC ServerApi: Publish and Broadcast, validated as over HTTP.
 * proto3 sends an unset string as "": optional fields go in as `value || undefined`.
 */
export function serverPublishCalls(publisher: ServerPublisher, guard: ApiKeyGuard, logger: Logger) {
  const call = serverApiCalls(guard, logger);
  return {
    Publish: call("publish", "Publish", async (r) => {
      const receipt = await publisher.publish(validate(ServerPublishBody, {
        channel: r.channel,
        body: r.body,
        clientMsgId: r.client_msg_id || undefined,
        sender: r.sender || undefined,
      }));
      return {
        channel: receipt.channel,
        client_msg_id: receipt.clientMsgId,
        stream_seq: receipt.streamSeq,
      };
    }),
    Broadcast: call("publish", "Broadcast", async (r) => {
      const result = await publisher.broadcast(validate(ServerBroadcastBody, {
        channels: r.channels,
        body: r.body,
        clientMsgId: r.client_msg_id || undefined,
      }));
      return {
        client_msg_id: result.clientMsgId,
        receipts: result.receipts.map((x) => ({ channel: x.channel, stream_seq: x.streamSeq })),
      };
    }),
  };
}
