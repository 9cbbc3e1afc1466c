import { onRevocation } from "../../shared/channels/revocations.ts";
import { ApiKeyGuard, type ApiKeyLookup } from "../../shared/apikeys/guard.ts";
import { serveServerApi } from "../../shared/grpc/server_api.ts";
import { createServiceApp, type ReadinessCheck } from "../../shared/http/app.ts";
import { serveHttp } from "../../shared/http/serve.ts";
import { SocketServer } from "../../shared/http/ws_session.ts";
import type { Logger } from "../../shared/logging/logger.ts";
import { createRegistry } from "../../shared/metrics/registry.ts";
import type { MessageLog, Signals } from "../../shared/ports/broker.ts";
import type { SessionRevocations } from "../../shared/ports/sessions.ts";
import type { AccessCache, ChannelAccess } from "../../shared/ports/channel_access.ts";
import type { TokenVerifier } from "../../shared/ports/tokens.ts";
import { closeOnDisconnect } from "../../shared/sessions/disconnects.ts";
import type { ProducerConfig } from "../config/config.ts";
import { serverPublishCalls } from "./adapters/inbound/server_grpc.ts";
import { mountProducerRoutes } from "./adapters/inbound/http_routes.ts";
import {
  MAX_BROADCAST_LIST_BYTES,
  mountServerPublishRoutes,
} from "./adapters/inbound/server_routes.ts";
import type { EventTargets } from "./domain/ports/event_targets.ts";
import { PublishService } from "./domain/services/publish_service.ts";
import { HttpHookCaller } from "../../shared/proxy_hooks/http_hook_caller.ts";
import { hookedAccess, ProxyHookGate } from "../../shared/proxy_hooks/proxy_hook_gate.ts";
import { namespacePublishRules } from "./domain/services/namespace_rules.ts";
import { ServerPublisher } from "./domain/services/server_publisher.ts";
import { producerMetrics } from "./metrics.ts";

export interface ProducerDeps {
  log: MessageLog;
  /** Where revoked memberships and backends' disconnects of users are announced. */
  signals: Signals;
  access: ChannelAccess & AccessCache;
  /** Where server API publishes may go (any channel, as any user: see PgServerPublishAccess). */
  serverAccess: ChannelAccess;
  apiKeys: ApiKeyLookup;
  /** Targets of edits, deletes and reactions (clients' events). */
  targets: EventTargets;
  /** Revoked sessions (logout): their sockets close within a poll. */
  sessions: SessionRevocations;
  verifier: TokenVerifier;
  logger: Logger;
  readiness: Record<string, ReadinessCheck>;
}

export interface RunningProducer {
  port: number;
  /** The server API's gRPC port, when configured. */
  grpcPort?: number;
  /** Graceful drain: refuse new sockets, finish in-flight publishes, close sockets with 1001. */
  stop(): Promise<void>;
}

const DRAIN_TIMEOUT_MS = 10_000;

export async function startProducer(
  config: ProducerConfig,
  deps: ProducerDeps,
): Promise<RunningProducer> {
  const registry = createRegistry("producer");
  const metrics = producerMetrics(registry);
  // A namespace's proxy hook decides a client's publish after the channel's own rules.
  const hooks = config.proxyHooks.key &&
    new ProxyHookGate(
      config.namespaces,
      new HttpHookCaller(config.proxyHooks.key),
      config.proxyHooks.maxPending,
    );
  const service = new PublishService(
    deps.log,
    hooks ? hookedAccess(deps.access, hooks, "publish") : deps.access,
    config.limits,
    metrics.publish,
    namespacePublishRules(config.namespaces, "client"),
    deps.targets,
  );
  // Backends publish through the same path, only with their own access rule and rate.
  const serverService = new PublishService(
    deps.log,
    deps.serverAccess,
    { ...config.limits, userRate: config.limits.serverRate },
    metrics.publish,
    namespacePublishRules(config.namespaces, "server"),
  );
  const sockets = new SocketServer(
    deps.verifier,
    {
      maxFrameBytes: config.limits.maxFrameBytes,
      maxConnections: config.limits.maxConnections,
      maxConnectionsPerUser: config.limits.maxConnectionsPerUser,
      maxBufferedBytes: 4 * 1024 * 1024,
    },
    deps.logger,
    metrics.sockets,
  );

  const stopDisconnects = closeOnDisconnect(deps.signals, sockets);

  const maxBodyBytes = config.limits.maxBodyBytes * 6 + MAX_BROADCAST_LIST_BYTES + 1024;
  let draining = false;
  const app = createServiceApp({
    service: "producer",
    registry,
    logger: deps.logger,
    readiness: deps.readiness,
    draining: () => draining,
    maxBodyBytes,
    corsOrigins: config.corsOrigins,
    metricsToken: config.metricsToken,
  });
  mountProducerRoutes(app, {
    service,
    verifier: deps.verifier,
    sockets,
    flood: { perSecond: config.limits.connectionRate.perSecond, burst: config.limits.floodStrikes },
  });
  const guard = new ApiKeyGuard(deps.apiKeys);
  const publisher = new ServerPublisher(serverService);
  mountServerPublishRoutes(app, { guard, publisher });
  const grpc = config.grpc && await serveServerApi(
    config.grpc,
    serverPublishCalls(publisher, guard, deps.logger),
    maxBodyBytes,
  );
  const server = serveHttp(app.fetch, { port: config.port, logger: deps.logger, name: "producer" });
  deps.sessions.start(({ userId, at }) => sockets.closeRevoked(userId, at));
  // A removed member's publish rights end at once here too, not when the cached answer expires.
  const unsubscribeRevocations = onRevocation(
    deps.signals,
    ({ channel, userId }) => deps.access.forget(channel, userId),
  );

  return {
    port: server.port,
    grpcPort: grpc?.port,
    stop: async () => {
      deps.logger.info("draining", { graceMs: config.drainGraceMs, sockets: sockets.size });
      draining = true;
      sockets.stopAccepting();
      unsubscribeRevocations();
      stopDisconnects();
      deps.sessions.stop();
      // Load balancers see /ready 503 and move new clients away while open sockets still work.
      await new Promise((resolve) => setTimeout(resolve, config.drainGraceMs));
      await Promise.all([service.drain(DRAIN_TIMEOUT_MS), serverService.drain(DRAIN_TIMEOUT_MS)]);
      // One macrotask, so the replies of the publishes that just finished are sent first.
      await new Promise((resolve) => setTimeout(resolve, 0));
      await sockets.closeAll();
      await Promise.all([server.shutdown(), grpc?.stop()]);
      deps.logger.info("drained");
    },
  };
}
