import { z } from "zod";
import { ApiKeyGuard, type ApiKeyLookup } from "../../shared/apikeys/guard.ts";
import { announceRevocation, onRevocation } from "../../shared/channels/revocations.ts";
import { serveServerApi } from "../../shared/grpc/server_api.ts";
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
import { serverAdminCalls } from "./adapters/inbound/server_grpc.ts";
import { mountSearchRoutes } from "./adapters/inbound/search_routes.ts";
import { mountServerAdminRoutes } from "./adapters/inbound/server_routes.ts";
import { mountUserPresenceRoutes } from "./adapters/inbound/user_presence_routes.ts";
import { mountWebRoutes } from "./adapters/inbound/web_routes.ts";
import { limitApiRate } from "./adapters/inbound/api_rate_limit.ts";
import { limitFrameRate } from "./adapters/inbound/ws_frame_rate.ts";
import { mountSseRoutes } from "./adapters/inbound/sse/routes.ts";
import { SseServer } from "./adapters/inbound/sse/server.ts";
import { SseTickets } from "./adapters/inbound/sse/tickets.ts";
import { subscriberHandlers } from "./adapters/inbound/ws_subscriber.ts";
import { HttpWebhookSender } from "./adapters/outbound/http_webhook_sender.ts";
import { SignalUserSessions } from "./adapters/outbound/signal_user_sessions.ts";
import type { ChannelDirectory } from "./domain/ports/channel_directory.ts";
import type { EventOutbox } from "./domain/ports/event_outbox.ts";
import type { HistoryPruner } from "./domain/ports/history_pruner.ts";
import type { ChannelRoster } from "./domain/ports/channel_roster.ts";
import type { MembershipEvents } from "./domain/ports/membership.ts";
import type { MessageSearch } from "./domain/ports/message_search.ts";
import type { MessageStore } from "./domain/ports/message_store.ts";
import type { People, ProfileChanges } from "./domain/ports/people.ts";
import { ChannelService } from "./domain/services/channel_service.ts";
import { EventRelay } from "./domain/services/event_relay.ts";
import { PersistService } from "./domain/services/persist_service.ts";
import { ReadReceiptRelay } from "./domain/services/read_receipts.ts";
import { refuseUnknownNamespaces } from "./domain/services/namespace_policy.ts";
import { RetentionService } from "./domain/services/retention_service.ts";
import { ServerAdmin } from "./domain/services/server_admin.ts";
import { TypingRelay } from "./domain/services/typing_relay.ts";
import { WebhookDispatcher } from "./domain/services/webhook_dispatcher.ts";
import { liveDelivery } from "./live_delivery.ts";
import { peopleDelivery } from "./people_delivery.ts";
import { consumerMetrics } from "./metrics.ts";
import { startResyncTimer } from "./resync_timer.ts";

/** As the HTTP body limit: no server API request of the consumer's comes near it. */
const MAX_GRPC_MESSAGE_BYTES = 64 * 1024;
/** Additions reach the added user's sockets on every instance (at-most-once, like revocations). */
const ADDED_TOPIC = "membership-added";
const Addition = z.object({ channel: z.string(), userId: z.string() });
type Addition = z.infer<typeof Addition>;

export interface ConsumerDeps {
  /** With `logQueues` (NATS) webhooks can be configured; the in-process broker has none. */
  broker: Pick<Broker, "log" | "ownership" | "delivery" | "signals" | "deadLetters"> & {
    logQueues?: LogQueues;
    /** The channel event stream (NATS): membership and presence changes reach webhooks by it. */
    events?: EventLog;
  };
  store: MessageStore;
  search: MessageSearch;
  directory: ChannelDirectory;
  /** The same directory without the users' hourly creation quota, for the server API. */
  serverDirectory: ChannelDirectory;
  roster: ChannelRoster;
  /** Who shares channels with whom, user presence as stored, and profile changes. */
  people: People & ProfileChanges;
  pruner: HistoryPruner;
  /** Membership and presence changes recorded with the change, relayed to `broker.events`. */
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
  const { logger } = deps;
  const registry = createRegistry("consumer");
  const metrics = consumerMetrics(registry, {
    deliveryReceived: () => deps.broker.delivery.received,
    subscriptions: () => hub.subscriptionCount,
    deadLettersStored: () => deps.broker.deadLetters.count().catch(() => -1),
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
  const people = await peopleDelivery({
    signals: deps.broker.signals,
    presence: config.presence,
    people: deps.people,
    // Channel presence is recorded for its webhook events only where webhooks are on.
    channelPresence: Boolean(config.webhooks && deps.broker.events),
    logger,
  });
  const { users, presenceEvents } = people;
  const { hub, presence, coalescer } = liveDelivery({
    store: deps.store,
    access: subscribeAccess,
    observer: metrics.delivery,
    signals: deps.broker.signals,
    delivery: deps.broker.delivery,
    presence: config.presence,
    maxSubscriptionsPerSocket: config.sockets.maxSubscriptionsPerSocket,
    namespaces,
    onPresence: presenceEvents && ((change) => presenceEvents.channelChanged(change)),
  });
  presence.start();
  const typing = new TypingRelay(deps.broker.signals, hub);
  typing.start();
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
  const receipts = new ReadReceiptRelay(deps.broker.signals, deps.roster, {
    toUser: (userId, frame) => users.send(userId, frame),
    toSubscriber: (userId, frame) =>
      users.send(userId, frame, (s) => hub.isSubscribed(s, frame.channel)),
  }, logger.child({ component: "receipts" }));
  receipts.start();
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
  // Webhooks and history retention, until stop().
  const stopBackground = new AbortController();
  if (config.webhooks) {
    if (!deps.broker.logQueues) throw new Error("webhooks need the NATS broker (set NATS_URL)");
    const dispatcher = new WebhookDispatcher(
      deps.broker.logQueues,
      deps.broker.log.partitions,
      new HttpWebhookSender(config.webhooks.key, config.webhooks.timeoutMs),
      deps.broker.deadLetters,
      config.webhooks,
      logger.child({ component: "webhooks" }),
      deps.broker.events?.queues,
    );
    // Not awaited on stop: an entry in flight is simply handed out again later.
    dispatcher.run(stopBackground.signal).catch((err) => logger.error("webhooks stopped", { err }));
  }
  const retention = new RetentionService(
    deps.pruner,
    namespaces.withRetention(),
    config.retention.intervalMs,
    logger,
  );
  const retaining = retention.run(stopBackground.signal);
  const relaying = new EventRelay(
    deps.outbox,
    deps.broker.events?.append,
    logger.child({ component: "event-relay" }),
  ).run(stopBackground.signal);
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
    access,
    store: deps.store,
    sockets: socketServer,
    handlers: limitFrameRate(
      subscriberHandlers(
        hub,
        typing,
        users,
        (userId, channel) => channels.subscribed(userId, channel),
      ),
      config.sockets.subscribeRate,
    ),
    online: (channel) => presence.online(channel),
  });
  // Broker down: caches still expire within their TTL; pages see it on their next list.
  const announce = (publish: () => void, channel: string) => {
    try {
      publish();
    } catch (err) {
      logger.warn("membership change not announced", { channel, err });
    }
  };
  const membershipEvents: MembershipEvents = {
    added: (channel, userId) =>
      announce(
        () => deps.broker.signals.publish(ADDED_TOPIC, { channel, userId } satisfies Addition),
        channel,
      ),
    revoked: (channel, userId) =>
      announce(() => announceRevocation(deps.broker.signals, { channel, userId }), channel),
  };
  const channels = new ChannelService(deps.directory, membershipEvents, receipts);
  mountChannelRoutes(app, { verifier: deps.verifier, channels });
  mountSearchRoutes(app, { verifier: deps.verifier, search: deps.search, rate: config.searchRate });
  mountUserPresenceRoutes(app, { verifier: deps.verifier, presence: people.userPresence });
  deps.sessions.start(({ userId, at }) => socketServer.closeRevoked(userId, at));
  // Asked at the stream's start too, so a refusal is a status (EventSource then stops retrying).
  const sse = new SseServer(
    hub,
    subscribeAccess,
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
  // Backends' commands to users' sockets reach every instance, this one included.
  const userSessions = new SignalUserSessions(deps.broker.signals);
  const stopUserCommands = userSessions.listen({
    closeUser: (userId, code, reason) => socketServer.closeUser(userId, code, reason),
    unsubscribeUser: (userId, channel) =>
      hub.revoke(channel, userId, "unsubscribed by the application"),
  });
  const guard = new ApiKeyGuard(deps.apiKeys);
  const admin = new ServerAdmin(
    deps.serverDirectory,
    deps.roster,
    userSessions,
    membershipEvents,
    (channel) => presence.online(channel),
  );
  mountServerAdminRoutes(app, { guard, admin, store: deps.store });
  const grpc = config.grpc && await serveServerApi(
    config.grpc,
    serverAdminCalls(admin, deps.store, guard, logger),
    MAX_GRPC_MESSAGE_BYTES,
  );
  mountWebRoutes(app, pageAssets(), config.web);
  const server = serveHttp(app.fetch, { port: config.port, logger, name: "consumer" });

  return {
    port: server.port,
    grpcPort: grpc?.port,
    stop: async () => {
      draining = true;
      socketServer.stopAccepting();
      sse.closeAll(); // streams resume elsewhere from their Last-Event-ID
      stopPersist.abort();
      stopBackground.abort();
      await Promise.all([persisting, retaining, relaying]);
      unsubscribeRevocations();
      stopUserCommands();
      stopResync();
      unsubscribeAdditions();
      presence.stop();
      await people.stop();
      deps.sessions.stop();
      coalescer.stop();
      typing.stop();
      receipts.stop();
      await socketServer.closeAll();
      await Promise.all([server.shutdown(), grpc?.stop()]);
    },
  };
}
