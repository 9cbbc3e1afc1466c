import { z } from "zod";
import { createServiceApp, type ReadinessCheck } from "../../shared/http/app.ts";
import { serveHttp } from "../../shared/http/serve.ts";
import { SocketServer } from "../../shared/http/ws_session.ts";
import type { Logger } from "../../shared/logging/logger.ts";
import { createRegistry } from "../../shared/metrics/registry.ts";
import type { Broker } from "../../shared/ports/broker.ts";
import type { ChannelAccess } from "../../shared/ports/channel_access.ts";
import type { TokenVerifier } from "../../shared/ports/tokens.ts";
import type { ConsumerConfig } from "../config/config.ts";
import { pageAssets } from "../../web/page_assets.ts";
import { mountChannelRoutes } from "./adapters/inbound/channel_routes.ts";
import { mountConsumerRoutes } from "./adapters/inbound/http_routes.ts";
import { mountWebRoutes } from "./adapters/inbound/web_routes.ts";
import { subscriberHandlers } from "./adapters/inbound/ws_subscriber.ts";
import type { ChannelDirectory } from "./domain/ports/channel_directory.ts";
import type { AccessCache } from "./domain/ports/membership.ts";
import type { MessageStore } from "./domain/ports/message_store.ts";
import { ChannelService } from "./domain/services/channel_service.ts";
import { PersistService } from "./domain/services/persist_service.ts";
import { liveDelivery } from "./live_delivery.ts";
import { consumerMetrics } from "./metrics.ts";
import { startResyncTimer } from "./resync_timer.ts";

const REVOKED_TOPIC = "membership-revoked";
const Revocation = z.object({ channel: z.string(), userId: z.string() });
type Revocation = z.infer<typeof Revocation>;

export interface ConsumerDeps {
  broker: Pick<Broker, "log" | "ownership" | "delivery" | "signals" | "deadLetters">;
  store: MessageStore;
  directory: ChannelDirectory;
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

  const { hub, presence } = liveDelivery({
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
  const unsubscribeRevocations = deps.broker.signals.subscribe(REVOKED_TOPIC, (data) => {
    const parsed = Revocation.safeParse(data);
    if (!parsed.success) return;
    deps.access.forget(parsed.data.channel, parsed.data.userId);
    hub.revoke(parsed.data.channel, parsed.data.userId);
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
  });
  mountConsumerRoutes(app, {
    verifier: deps.verifier,
    access: deps.access,
    store: deps.store,
    sockets: socketServer,
    handlers: subscriberHandlers(hub),
    online: (channel) => presence.online(channel),
  });
  mountChannelRoutes(app, {
    verifier: deps.verifier,
    channels: new ChannelService(deps.directory, deps.access, {
      revoked: (channel, userId) => {
        try {
          deps.broker.signals.publish(REVOKED_TOPIC, { channel, userId } satisfies Revocation);
        } catch (err) {
          // Broker down: caches still expire within their TTL.
          logger.warn("revocation not announced", { channel, err });
        }
      },
    }),
  });
  mountWebRoutes(app, pageAssets(), config.web);
  const server = serveHttp(app.fetch, { port: config.port, logger, name: "consumer" });

  return {
    port: server.port,
    stop: async () => {
      draining = true;
      socketServer.stopAccepting();
      stopPersist.abort();
      await persisting;
      unsubscribeRevocations();
      stopResync();
      presence.stop();
      await socketServer.closeAll();
      await server.shutdown();
    },
  };
}
