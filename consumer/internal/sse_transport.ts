import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Logger } from "../../shared/logging/logger.ts";
import type { ChannelAccess } from "../../shared/ports/channel_access.ts";
import type { TokenVerifier } from "../../shared/ports/tokens.ts";
import type { ConsumerConfig } from "../config/config.ts";
import { mountSseRoutes } from "./adapters/inbound/sse/routes.ts";
import { type SseObserver, SseServer } from "./adapters/inbound/sse/server.ts";
import { SseTickets } from "./adapters/inbound/sse/tickets.ts";
import type { SubscriptionHub } from "./domain/services/subscription_hub.ts";

/**
 * Server-Sent Events beside the sockets: tickets and streams mounted on `app`, through the same
 * hub and under the sockets' limits (counted apart). Returns the server, whose streams the drain
 * ends.
 */
export function mountSse(app: OpenAPIHono, deps: {
  hub: SubscriptionHub;
  access: ChannelAccess;
  verifier: TokenVerifier;
  limits: ConsumerConfig["sockets"];
  logger: Logger;
  observer: SseObserver;
}): SseServer {
  const sse = new SseServer(
    deps.hub,
    deps.access,
    {
      maxConnections: deps.limits.maxConnections,
      maxConnectionsPerUser: deps.limits.maxConnectionsPerUser,
      maxSubscriptionsPerStream: deps.limits.maxSubscriptionsPerSocket,
      maxBufferedBytes: deps.limits.maxBufferedBytes,
    },
    deps.logger,
    deps.observer,
  );
  mountSseRoutes(app, { verifier: deps.verifier, tickets: new SseTickets(), sse });
  return sse;
}
