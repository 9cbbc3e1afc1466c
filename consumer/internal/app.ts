import { announceRevocation, onRevocation } from "../../shared/channels/revocations.ts";
import { createServiceApp, type ReadinessCheck } from "../../shared/http/app.ts";
import { serveHttp } from "../../shared/http/serve.ts";
import { SocketServer } from "../../shared/http/ws_session.ts";
import type { Logger } from "../../shared/logging/logger.ts";
import { createRegistry } from "../../shared/metrics/registry.ts";
import type { Broker } from "../../shared/ports/broker.ts";
import type { SessionRevocations } from "../../shared/ports/sessions.ts";
import type { AccessCache, ChannelAccess } from "../../shared/ports/channel_access.ts";
import type { TokenVerifier } from "../../shared/ports/tokens.ts";
import type { ConsumerConfig } from "../config/config.ts";
import { pageAssets } from "../../web/page_assets.ts";
import { mountChannelRoutes } from "./adapters/inbound/channel_routes.ts";
import { mountConsumerRoutes } from "./adapters/inbound/http_routes.ts";
import { mountWebRoutes } from "./adapters/inbound/web_routes.ts";
import { limitApiRate } from "./adapters/inbound/api_rate_limit.ts";
import { limitFrameRate } from "./adapters/inbound/ws_frame_rate.ts";
import { mountSseRoutes } from "./adapters/inbound/sse/routes.ts";
import { SseServer } from "./adapters/inbound/sse/server.ts";
import { SseTickets } from "./adapters/inbound/sse/tickets.ts";
import { subscriberHandlers } from "./adapters/inbound/ws_subscriber.ts";
import type { ChannelDirectory } from "./domain/ports/channel_directory.ts";
import type { MessageStore } from "./domain/ports/message_store.ts";
import { ChannelService } from "./domain/services/channel_service.ts";
import { PersistService } from "./domain/services/persist_service.ts";
import { liveDelivery } from "./live_delivery.ts";
import { consumerMetrics } from "./metrics.ts";
import { startResyncTimer } from "./resync_timer.ts";

export interface ConsumerDeps {
  broker: Pick<Broker, "log" | "ownership" | "delivery" | "signals" | "deadLetters">;
  store: MessageStore;
  directory: ChannelDirectory;
  /** Revoked sessions (logout): their sockets close within a poll. */
  sessions: SessionRevocations;
  access: ChannelAccess & AccessCache;
  verifier: TokenVerifier;
  logger: Logger;
  readiness: Record<string, ReadinessCheck>;
}

export interface RunningConsumer {
  port: number;
  /**
   * Graceful drain: stop reading, finish each partition's batch in hand and hand the partitions
   * over, tell peers this instance's users left, close sockets with 1001.
   */
  stop(): Promise<void>;
}

export function startConsumer(config: ConsumerConfig, deps: ConsumerDeps): RunningConsumer {
  const { logger } = deps;
  const registry = createRegistry("consumer");
  const metrics = consumerMetrics(registry, {
    deliveryReceived: () => deps.broker.delivery.received,
    subscriptions: () => hub.subscriptionCount,
    deadLettersStored: () => deps.broker.deadLetters.count().catch(() => -1),
  });

  const { hub, presence, coalescer } = liveDelivery({
    store: deps.store,
    access: deps.access,
    observer: metrics.delivery,
    signals: deps.broker.signals,
    delivery: deps.broker.delivery,
    presence: config.presence,
    maxSubscriptionsPerSocket: config.sockets.maxSubscriptionsPerSocket,
  });
  presence.start();
  // Revocations reach every instance (this one included) over the broker's signals.
  const unsubscribeRevocations = onRevocation(deps.broker.signals, ({ channel, userId }) => {
    deps.access.forget(channel, userId);
    hub.revoke(channel, userId);
  });
  const stopResync = startResyncTimer(() => hub.resync(), config.delivery.resyncMs, logger);

  const persist = new PersistService(
    deps.broker.log,
    deps.broker.ownership,
    deps.store,
    deps.broker.delivery,
    deps.broker.deadLetters,
    config.persist,
    metrics.persist,
    logger,
  );
  const stopPersist = new AbortController();
  const persisting = persist.run(stopPersist.signal).catch((err) => {
    logger.error("persist loop stopped", { err });
  });

  const socketServer = new SocketServer(
    deps.verifier,
    {
      maxFrameBytes: config.sockets.maxFrameBytes,
      maxConnections: config.sockets.maxConnections,
      maxConnectionsPerUser: config.sockets.maxConnectionsPerUser,
      maxBufferedBytes: config.sockets.maxBufferedBytes,
      maxQueuedFrames: config.sockets.maxQueuedFrames,
    },
    logger,
    metrics.sockets,
  );

  let draining = false;
  const app = createServiceApp({
    service: "consumer",
    registry,
    logger,
    readiness: deps.readiness,
    draining: () => draining,
    corsOrigins: config.corsOrigins,
    metricsToken: config.metricsToken,
  });
  limitApiRate(app, deps.verifier, config.apiRate);
  mountConsumerRoutes(app, {
    verifier: deps.verifier,
    access: deps.access,
    store: deps.store,
    sockets: socketServer,
    handlers: limitFrameRate(subscriberHandlers(hub), config.sockets.subscribeRate),
    online: (channel) => presence.online(channel),
  });
  mountChannelRoutes(app, {
    verifier: deps.verifier,
    channels: new ChannelService(deps.directory, {
      revoked: (channel, userId) => {
        try {
          announceRevocation(deps.broker.signals, { channel, userId });
        } catch (err) {
          // Broker down: caches still expire within their TTL.
          logger.warn("revocation not announced", { channel, err });
        }
      },
    }),
  });
  deps.sessions.start(({ userId, at }) => socketServer.closeRevoked(userId, at));
  const sse = new SseServer(
    hub,
    deps.access,
    {
      maxConnections: config.sockets.maxConnections,
      maxConnectionsPerUser: config.sockets.maxConnectionsPerUser,
      maxSubscriptionsPerStream: config.sockets.maxSubscriptionsPerSocket,
      maxBufferedBytes: config.sockets.maxBufferedBytes,
    },
    logger,
    metrics.sse,
  );
  mountSseRoutes(app, { verifier: deps.verifier, tickets: new SseTickets(), sse });
  mountWebRoutes(app, pageAssets(), config.web);
  const server = serveHttp(app.fetch, { port: config.port, logger, name: "consumer" });

  return {
    port: server.port,
    stop: async () => {
      draining = true;
      socketServer.stopAccepting();
      sse.closeAll(); // streams resume elsewhere from their Last-Event-ID
      stopPersist.abort();
      await persisting;
      unsubscribeRevocations();
      stopResync();
      presence.stop();
      deps.sessions.stop();
      coalescer.stop();
      await socketServer.closeAll();
      await server.shutdown();
    },
  };
}
