import type { OpenAPIHono } from "@hono/zod-openapi";
import { ApiKeyGuard, type ApiKeyLookup } from "../../shared/apikeys/guard.ts";
import type { GrpcListen } from "../../shared/grpc/serve.ts";
import { serveServerApi } from "../../shared/grpc/server_api.ts";
import type { Logger } from "../../shared/logging/logger.ts";
import { serverAdminCalls } from "./adapters/inbound/server_grpc.ts";
import { mountServerAdminRoutes } from "./adapters/inbound/server_routes.ts";
import type { ChannelDirectory } from "./domain/ports/channel_directory.ts";
import type { ChannelRoster } from "./domain/ports/channel_roster.ts";
import type { MembershipEvents } from "./domain/ports/membership.ts";
import type { MessageStore } from "./domain/ports/message_store.ts";
import type { UserSessions } from "./domain/ports/user_sessions.ts";
import { ServerAdmin } from "./domain/services/server_admin.ts";

/** As the HTTP body limit: no server API request of the consumer's comes near it. */
const MAX_GRPC_MESSAGE_BYTES = 64 * 1024;

/**
 * The consumer's half of the server API (users' sockets, channels, members, history), behind API
 * keys: mounted on `app` over HTTP, and served over gRPC when `grpc` is configured. Returns the
 * gRPC port and its stop.
 */
export async function serveServerAdmin(
  app: OpenAPIHono,
  grpc: GrpcListen | undefined,
  deps: {
    apiKeys: ApiKeyLookup;
    directory: ChannelDirectory;
    roster: ChannelRoster;
    userSessions: UserSessions;
    membershipEvents: MembershipEvents;
    online: (channel: string) => string[];
    store: MessageStore;
    logger: Logger;
  },
): Promise<{ grpcPort?: number; stop: () => Promise<void> }> {
  const guard = new ApiKeyGuard(deps.apiKeys);
  const admin = new ServerAdmin(
    deps.directory,
    deps.roster,
    deps.userSessions,
    deps.membershipEvents,
    deps.online,
  );
  mountServerAdminRoutes(app, { guard, admin, store: deps.store });
  const served = grpc && await serveServerApi(
    grpc,
    serverAdminCalls(admin, deps.store, guard, deps.logger),
    MAX_GRPC_MESSAGE_BYTES,
  );
  return { grpcPort: served?.port, stop: async () => await served?.stop() };
}
