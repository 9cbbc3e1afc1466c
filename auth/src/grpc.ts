import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import { grpcFailure, type GrpcListen, serveGrpc } from "../../shared/grpc/serve.ts";
import type { Logger } from "../../shared/logging/logger.ts";
import type { ClientAddresses } from "./client_address.ts";
import type { AuthService, ClientInfo } from "./service.ts";
import type { RegistrationView, TokenView, UserView } from "./schemas.ts";

export const PROTO_PATH = fileURLToPath(new URL("../proto/auth/v1/auth.proto", import.meta.url));

/** Loads `auth.v1` from the proto file: the server and every client use the same definition. */
export function loadAuthPackage(): grpc.GrpcObject {
  const definition = protoLoader.loadSync(PROTO_PATH, {
    keepCase: true,
    longs: Number,
    defaults: true,
    oneofs: true,
  });
  return (grpc.loadPackageDefinition(definition).auth as grpc.GrpcObject).v1 as grpc.GrpcObject;
}

function grpcUser(u: UserView) {
  return { id: u.id, email: u.email, display_name: u.displayName, created_at: u.createdAt };
}

/** Register answers a User with only what the caller sent (no id: see the proto). */
function grpcRegistration(r: RegistrationView) {
  return { id: "", email: r.email, display_name: r.displayName, created_at: "" };
}

function grpcTokens(t: TokenView) {
  return {
    access_token: t.accessToken,
    token_type: t.tokenType,
    expires_in: t.expiresIn,
    refresh_token: t.refreshToken,
    refresh_expires_in: t.refreshExpiresIn,
    user: grpcUser(t.user),
  };
}

/** grpc-js peers read `127.0.0.1:5000`, `[::1]:5000` or `ipv4:…`: keep the address alone. */
export function peerIp(peer: string): string {
  const address = peer.replace(/^ipv[46]:/, "").replace(/:\d+$/, "");
  return address.replace(/^\[(.*)\]$/, "$1");
}

/** Same limit as the HTTP façade: anything larger is refused by grpc-js before we see it. */
const MAX_MESSAGE_BYTES = 64 * 1024;

type Handler = (req: Record<string, unknown>, client: ClientInfo) => Promise<unknown>;

/**
 * Adapts a promise-returning handler to grpc-js, mapping AppError codes to gRPC statuses. A proxy
 * in front (Envoy …) names the client in x-forwarded-for metadata, believed as over HTTP.
 */
function unary(
  logger: Logger,
  addresses: ClientAddresses,
  name: string,
  handler: Handler,
): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const forwarded = call.metadata.get("x-forwarded-for").join(",");
    const client = { ip: addresses.resolve(peerIp(call.getPeer()), forwarded) };
    handler(call.request as Record<string, unknown>, client).then(
      (response) => callback(null, response),
      (err) => callback(grpcFailure(err, logger, name)),
    );
  };
}

export async function startGrpcServer(
  service: AuthService,
  listen: GrpcListen,
  logger: Logger,
  addresses: ClientAddresses,
): Promise<{ port: number; stop(): Promise<void> }> {
  const pkg = loadAuthPackage();
  const server = new grpc.Server({
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  });
  const AuthServiceDef = (pkg.AuthService as grpc.ServiceClientConstructor).service;
  server.addService(AuthServiceDef, {
    Register: unary(logger, addresses, "Register", async (r, client) =>
      grpcRegistration(
        await service.register({
          email: r.email,
          password: r.password,
          displayName: r.display_name || undefined,
        }, client),
      )),
    GenerateToken: unary(
      logger,
      addresses,
      "GenerateToken",
      async (r, client) =>
        grpcTokens(await service.login({ email: r.email, password: r.password }, client)),
    ),
    ValidateToken: unary(logger, addresses, "ValidateToken", async (r) => {
      const p = await service.validateToken(r.token);
      return { user_id: p.userId, expires_at: p.expiresAt };
    }),
    RefreshToken: unary(
      logger,
      addresses,
      "RefreshToken",
      async (r) => grpcTokens(await service.refresh({ refreshToken: r.refresh_token })),
    ),
    RevokeToken: unary(logger, addresses, "RevokeToken", async (r) => {
      await service.revoke({ refreshToken: r.refresh_token });
      return {};
    }),
  });
  return await serveGrpc(server, listen);
}
