import { createLocalJWKSet } from "jose";
import { JwtVerifier } from "../../shared/auth/jwt_verifier.ts";
import { pingPostgres, type Sql } from "../../shared/db/postgres.ts";
import { createServiceApp } from "../../shared/http/app.ts";
import { type RunningServer, serveHttp } from "../../shared/http/serve.ts";
import type { Logger } from "../../shared/logging/logger.ts";
import { createRegistry } from "../../shared/metrics/registry.ts";
import type { AuthConfig, ThrottleConfig } from "./config.ts";
import { ClientAddresses } from "./client_address.ts";
import { startGrpcServer } from "./grpc.ts";
import { Directory } from "./directory.ts";
import { mountDirectoryRoutes } from "./directory_routes.ts";
import { mountAuthRoutes } from "./http.ts";
import { loadSigningKeys } from "./keys.ts";
import { PasswordHasher } from "./passwords.ts";
import { PgRefreshTokenStore } from "./refresh_tokens.ts";
import { AuthService } from "./service.ts";
import { AttemptThrottle } from "./throttle.ts";
import { startTokenPurge } from "./token_purge.ts";
import { PgUserStore } from "./users.ts";
import { WorkGate } from "./work_gate.ts";

export interface RunningAuth {
  httpPort: number;
  grpcPort: number;
  /** The verifier other in-process services use in single-node mode (no JWKS round-trip). */
  verifier: JwtVerifier;
  stop(): Promise<void>;
}

export interface AuthInfra {
  sql: Sql;
  logger: Logger;
}

/** Wires and starts the auth service: HTTP façade and gRPC over one AuthService. */
export async function startAuth(
  config: AuthConfig,
  { sql, logger }: AuthInfra,
): Promise<RunningAuth> {
  const keys = await loadSigningKeys(config);
  const verifier = new JwtVerifier(createLocalJWKSet(keys.jwks), config.issuer, config.audience);
  const refreshTokens = new PgRefreshTokenStore(sql, {
    ttlSeconds: config.refreshTokenTtlSeconds,
    familyMaxAgeSeconds: config.refreshFamilyMaxAgeSeconds,
  });
  const throttle = (t: ThrottleConfig) =>
    new AttemptThrottle({ maxAttempts: t.maxAttempts, windowMs: t.windowSeconds * 1000 });
  const users = new PgUserStore(sql);
  const service = new AuthService({
    users,
    refreshTokens,
    keys,
    verifier,
    passwords: new PasswordHasher(
      config.scrypt,
      new WorkGate(config.hashing.concurrency, config.hashing.queue),
    ),
    loginThrottle: throttle(config.loginThrottle),
    registerThrottle: throttle(config.registerThrottle),
  }, {
    issuer: config.issuer,
    audience: config.audience,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
  });
  let draining = false;
  const app = createServiceApp({
    service: "auth",
    registry: createRegistry("auth"),
    logger,
    readiness: { postgres: () => pingPostgres(sql) },
    draining: () => draining,
    corsOrigins: config.corsOrigins,
    metricsToken: config.metricsToken,
  });
  const addresses = new ClientAddresses(config.trustedProxies);
  mountAuthRoutes(app, service, keys.jwks, addresses);
  mountDirectoryRoutes(app, new Directory(users, throttle(config.searchThrottle)), verifier);
  const http: RunningServer = serveHttp(app.fetch, {
    port: config.httpPort,
    logger,
    name: "auth-http",
  });
  const grpc = await startGrpcServer(
    service,
    { host: config.grpcHost, port: config.grpcPort },
    logger,
    addresses,
  );
  logger.info("listening", {
    server: "auth-grpc",
    host: config.grpcHost,
    port: grpc.port,
  });
  const purge = startTokenPurge(refreshTokens, logger);
  return {
    httpPort: http.port,
    grpcPort: grpc.port,
    verifier,
    stop: async () => {
      draining = true;
      await Promise.all([http.shutdown(), grpc.stop(), purge.stop()]);
    },
  };
}
