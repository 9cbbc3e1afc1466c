import type { ApiKeyLookup } from "../../shared/apikeys/guard.ts";
import { HttpHookCaller } from "../../shared/proxy_hooks/http_hook_caller.ts";
import { hookedAccess, ProxyHookGate } from "../../shared/proxy_hooks/proxy_hook_gate.ts";
import { createServiceApp, type ReadinessCheck } from "../../shared/http/app.ts";
import { serveHttp } from "../../shared/http/serve.ts";
import { SocketServer } from "../../shared/http/ws_session.ts";
import type { Logger } from "../../shared/logging/logger.ts";
import { createRegistry } from "../../shared/metrics/registry.ts";
import type { Broker } from "../../shared/ports/broker.ts";
import type { SessionRevocations } from "../../shared/ports/sessions.ts";
import type { AccessCache, ChannelAccess } from "../../shared/ports/channel_access.ts";
import type { EventLog } from "../../shared/ports/event_log.ts";
import type { LogQueues } from "../../shared/ports/log_queues.ts";
import type { TokenVerifier } from "../../shared/ports/tokens.ts";
import type { ConsumerConfig } from "../config/config.ts";
import { pageAssets } from "../../web/page_assets.ts";
import { mountChannelRoutes } from "./adapters/inbound/channel_routes.ts";
import { mountConsumerRoutes } from "./adapters/inbound/http_routes.ts";
import { mountSearchRoutes } from "./adapters/inbound/search_routes.ts";
import { mountWebRoutes } from "./adapters/inbound/web_routes.ts";
import { limitApiRate } from "./adapters/inbound/api_rate_limit.ts";
import { limitFrameRate } from "./adapters/inbound/ws_frame_rate.ts";
import { subscriberHandlers } from "./adapters/inbound/ws_subscriber.ts";
import type { ChannelDirectory } from "./domain/ports/channel_directory.ts";
import type { EventOutbox } from "./domain/ports/event_outbox.ts";
import type { HistoryPruner } from "./domain/ports/history_pruner.ts";
import type { ChannelRoster } from "./domain/ports/channel_roster.ts";
import type { MessageSearch } from "./domain/ports/message_search.ts";
import type { MessageStore } from "./domain/ports/message_store.ts";
import { ChannelService } from "./domain/services/channel_service.ts";
import { ReadReceiptRelay } from "./domain/services/read_receipts.ts";
import { refuseUnknownNamespaces } from "./domain/services/namespace_policy.ts";
import { liveDelivery } from "./live_delivery.ts";
import { liveMembership } from "./live_membership.ts";
import { runLogJobs } from "./log_jobs.ts";
import { consumerMetrics } from "./metrics.ts";
import { serveServerAdmin } from "./server_api.ts";
import { mountSse } from "./sse_transport.ts";
import { controlUserSockets } from "./user_control.ts";

export interface ConsumerDeps {
  /** With `logQueues` (NATS) webhooks can be configured; the in-process broker has none. */
  broker: Pick<Broker, "log" | "ownership" | "delivery" | "signals" | "deadLetters"> & {
    logQueues?: LogQueues;
    /** The channel event stream (NATS): membership changes reach webhooks through it. */
    events?: EventLog;
  };
  store: MessageStore;
  search: MessageSearch;
  directory: ChannelDirectory;
  /** The same directory without the users' hourly creation quota, for the server API. */
  serverDirectory: ChannelDirectory;
  roster: ChannelRoster;
  pruner: HistoryPruner;
  /** Membership changes recorded with the change, relayed to `broker.events`. */
  outbox: EventOutbox;
  apiKeys: ApiKeyLookup;
  /** Revoked sessions (logout): their sockets close within a poll. */
  sessions: SessionRevocations;
  access: ChannelAccess & AccessCache;
  verifier: TokenVerifier;
  logger: Logger;
  readiness: Record<string, ReadinessCheck>;
}

export interface RunningConsumer {
  port: number;
  /** The server API's gRPC port, when configured. */
  grpcPort?: number;
  /**
   * Graceful drain: stop reading, finish each partition's batch in hand and hand the partitions
   * over, tell peers this instance's users left, close sockets with 1001.
   */
  stop(): Promise<void>;
}

export async function startConsumer(
  config: ConsumerConfig,
  deps: ConsumerDeps,
): Promise<RunningConsumer> {
  const { logger, broker } = deps;
  const registry = createRegistry("consumer");
  const metrics = consumerMetrics(registry, {
    deliveryReceived: () => broker.delivery.received,
    subscriptions: () => live.hub.subscriptionCount,
    deadLettersStored: () => broker.deadLetters.count().catch(() => -1),
  });

  const { namespaces } = config;
  const access = refuseUnknownNamespaces(deps.access, namespaces);
  // A namespace's proxy hook decides a subscription (socket or SSE) after the channel's own rules.
  const hooks = config.proxyHooks.key &&
    new ProxyHookGate(
      namespaces,
      new HttpHookCaller(config.proxyHooks.key),
      config.proxyHooks.maxPending,
    );
  const subscribeAccess = hooks ? hookedAccess(access, hooks, "subscribe") : access;
  const live = liveDelivery({
    store: deps.store,
    access: subscribeAccess,
    observer: metrics.delivery,
    signals: broker.signals,
    delivery: broker.delivery,
    presence: config.presence,
    maxSubscriptionsPerSocket: config.sockets.maxSubscriptionsPerSocket,
    resyncMs: config.delivery.resyncMs,
    namespaces,
    logger,
  });
  const { hub, presence, typing, users } = live;
  const membership = liveMembership({
    signals: broker.signals,
    access: deps.access,
    hub,
    users,
    logger,
  });
  const receipts = new ReadReceiptRelay(broker.signals, deps.roster, {
    toUser: (userId, frame) => users.send(userId, frame),
    toSubscriber: (userId, frame) =>
      users.send(userId, frame, (s) => hub.isSubscribed(s, frame.channel)),
  }, logger.child({ component: "receipts" }));
  receipts.start();
  const jobs = runLogJobs(config, {
    broker,
    store: deps.store,
    pruner: deps.pruner,
    outbox: deps.outbox,
    observer: metrics.persist,
    logger,
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
  const userControl = controlUserSockets({
    sessions: deps.sessions,
    signals: broker.signals,
    sockets: socketServer,
    hub,
  });

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
    access,
    store: deps.store,
    sockets: socketServer,
    handlers: limitFrameRate(subscriberHandlers(hub, typing, users), config.sockets.subscribeRate),
    online: (channel) => presence.online(channel),
  });
  mountChannelRoutes(app, {
    verifier: deps.verifier,
    channels: new ChannelService(deps.directory, membership.events, receipts),
  });
  mountSearchRoutes(app, { verifier: deps.verifier, search: deps.search, rate: config.searchRate });
  // Asked at the stream's start too, so a refusal is a status (EventSource then stops retrying).
  const sse = mountSse(app, {
    hub,
    access: subscribeAccess,
    verifier: deps.verifier,
    limits: config.sockets,
    logger,
    observer: metrics.sse,
  });
  const serverApi = await serveServerAdmin(app, config.grpc, {
    apiKeys: deps.apiKeys,
    directory: deps.serverDirectory,
    roster: deps.roster,
    userSessions: userControl.userSessions,
    membershipEvents: membership.events,
    online: (channel) => presence.online(channel),
    store: deps.store,
    logger,
  });
  mountWebRoutes(app, pageAssets(), config.web);
  const server = serveHttp(app.fetch, { port: config.port, logger, name: "consumer" });

  return {
    port: server.port,
    grpcPort: serverApi.grpcPort,
    stop: async () => {
      draining = true;
      socketServer.stopAccepting();
      sse.closeAll(); // streams resume elsewhere from their Last-Event-ID
      await jobs.stop();
      membership.stop();
      receipts.stop();
      userControl.stop();
      live.stop();
      await socketServer.closeAll();
      await Promise.all([server.shutdown(), serverApi.stop()]);
    },
  };
}
