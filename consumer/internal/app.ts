import { z } from "zod";
import { announceRevocation, onRevocation } from "../../shared/channels/revocations.ts";
import { createServiceApp, type ReadinessCheck } from "../../shared/http/app.ts";
import { serveHttp } from "../../shared/http/serve.ts";
import { SocketServer } from "../../shared/http/ws_session.ts";
import type { Logger } from "../../shared/logging/logger.ts";
import { createRegistry, metric } from "../../shared/metrics/registry.ts";
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
import { subscriberHandlers } from "./adapters/inbound/ws_subscriber.ts";
import type { ChannelDirectory } from "./domain/ports/channel_directory.ts";
import type { MessageStore } from "./domain/ports/message_store.ts";
import { ChannelService } from "./domain/services/channel_service.ts";
import { PersistService } from "./domain/services/persist_service.ts";
import { PresenceCoalescer } from "./domain/services/presence_coalescer.ts";
import { PresenceService } from "./domain/services/presence_service.ts";
import { SubscriptionHub } from "./domain/services/subscription_hub.ts";
import { TypingRelay } from "./domain/services/typing_relay.ts";
import { UserSockets } from "./domain/services/user_sockets.ts";

/** Additions reach the added user's sockets on every instance (at-most-once, like revocations). */
const ADDED_TOPIC = "membership-added";
const Addition = z.object({ channel: z.string(), userId: z.string() });
type Addition = z.infer<typeof Addition>;

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
  const sockets = metric.gauge(registry, "rtm_sockets", "Open subscriber sockets");
  const batchSize = metric.latency(registry, "rtm_persist_batch_size", "Messages per stored batch");
  const batchLatency = metric.latency(
    registry,
    "rtm_persist_batch_seconds",
    "Time to store one batch",
  );
  const deliveryLatency = metric.latency(
    registry,
    "rtm_delivery_latency_seconds",
    "Publish time to the socket writes of a live message (once per message)",
  );
  const delivered = metric.counter(registry, "rtm_messages_delivered_total", "Frames to sockets");
  const slowConsumers = metric.counter(
    registry,
    "rtm_slow_consumer_closes_total",
    "Sockets cut off as slow consumers",
  );
  const deadLetters = metric.counter(registry, "rtm_dead_letters_total", "Dead-lettered messages");
  const partitions = metric.gauge(
    registry,
    "rtm_persist_partitions_owned",
    "Log partitions this instance persists",
  );
  metric.observedTotal(
    registry,
    "rtm_delivery_received_total",
    "Delivery messages this instance received from NATS (for channels its sockets follow)",
    () => deps.broker.delivery.received,
  );
  const storeFailures = metric.counter(registry, "rtm_store_failures_total", "Failed batch stores");

  // The hub and presence report to each other: subscriptions make presence, presence changes
  // go out to the channel's subscribers (only after start(), when `hub` exists), coalesced.
  const coalescer = new PresenceCoalescer(
    1000 / config.presence.flushesPerSecond,
    ({ channel, joined, left }) =>
      hub.broadcastPresence({ type: "presence", channel, joined, left }),
  );
  const presence = new PresenceService(
    deps.broker.signals,
    config.presence,
    (change) => coalescer.add(change),
  );
  const hub = new SubscriptionHub(
    deps.store,
    deps.access,
    {
      fannedOut: (m, sockets) => {
        delivered.inc(sockets);
        deliveryLatency.observe(Math.max(0, Date.now() - Date.parse(m.sentAt)) / 1000);
      },
      replayed: () => delivered.inc(),
    },
    presence,
    config.sockets.maxSubscriptionsPerSocket,
    deps.broker.delivery,
  );
  presence.start();
  const typing = new TypingRelay(deps.broker.signals, hub);
  typing.start();
  const users = new UserSockets();
  // Revocations reach every instance (this one included) over the broker's signals; so do
  // additions, for the user's open sockets to list the channel at once.
  const unsubscribeRevocations = onRevocation(deps.broker.signals, ({ channel, userId }) => {
    deps.access.forget(channel, userId);
    hub.revoke(channel, userId);
    users.send(userId, { type: "membership", channel, change: "removed" });
  });
  const unsubscribeAdditions = deps.broker.signals.subscribe(ADDED_TOPIC, (data) => {
    const parsed = Addition.safeParse(data);
    if (!parsed.success) return;
    const { channel, userId } = parsed.data;
    users.send(userId, { type: "membership", channel, change: "added" });
  });
  const announce = (publish: () => void, channel: string) => {
    try {
      publish();
    } catch (err) {
      // Broker down: caches still expire within their TTL; pages see it on their next list.
      logger.warn("membership change not announced", { channel, err });
    }
  };
  // One resync at a time; a slow database makes the next tick skip, never pile up.
  let resyncing = false;
  const resyncTimer = setInterval(() => {
    if (resyncing) return;
    resyncing = true;
    hub.resync().catch((err) => logger.warn("delivery resync failed", { err }))
      .finally(() => resyncing = false);
  }, config.delivery.resyncMs);

  const persist = new PersistService(
    deps.broker.log,
    deps.broker.ownership,
    deps.store,
    deps.broker.delivery,
    deps.broker.deadLetters,
    config.persist,
    {
      batchStored: (size, seconds) => {
        batchSize.observe(size);
        batchLatency.observe(seconds);
      },
      deadLettered: () => deadLetters.inc(),
      storeFailed: () => storeFailures.inc(),
      partitionsOwned: (n) => partitions.set(n),
    },
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
    {
      connections: (n) => sockets.set(n),
      slowConsumer: () => slowConsumers.inc(),
    },
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
    handlers: limitFrameRate(subscriberHandlers(hub, typing, users), config.sockets.subscribeRate),
    online: (channel) => presence.online(channel),
  });
  mountChannelRoutes(app, {
    verifier: deps.verifier,
    channels: new ChannelService(deps.directory, {
      added: (channel, userId) =>
        announce(
          () => deps.broker.signals.publish(ADDED_TOPIC, { channel, userId } satisfies Addition),
          channel,
        ),
      revoked: (channel, userId) =>
        announce(() => announceRevocation(deps.broker.signals, { channel, userId }), channel),
    }),
  });
  deps.sessions.start(({ userId, at }) => socketServer.closeRevoked(userId, at));
  mountWebRoutes(app, pageAssets(), config.web);
  metric.observed(
    registry,
    "rtm_subscriptions",
    "Active channel subscriptions",
    () => hub.subscriptionCount,
  );
  metric.observed(
    registry,
    "rtm_dead_letters_stored",
    "Dead letters held in the dead-letter stream (all instances)",
    () => deps.broker.deadLetters.count().catch(() => -1),
  );
  const server = serveHttp(app.fetch, { port: config.port, logger, name: "consumer" });

  return {
    port: server.port,
    stop: async () => {
      draining = true;
      socketServer.stopAccepting();
      stopPersist.abort();
      await persisting;
      unsubscribeRevocations();
      unsubscribeAdditions();
      clearInterval(resyncTimer);
      presence.stop();
      deps.sessions.stop();
      coalescer.stop();
      typing.stop();
      await socketServer.closeAll();
      await server.shutdown();
    },
  };
}
