import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import type { ApiKeyScope } from "../apikeys/api_key.ts";
import type { ApiKeyGuard } from "../apikeys/guard.ts";
import type { Logger } from "../logging/logger.ts";
import { grpcFailure, type GrpcListen, type RunningGrpc, serveGrpc } from "./serve.ts";

export const SERVER_API_PROTO = fileURLToPath(
  new URL("../../auth/proto/server/v1/server_api.proto", import.meta.url),
);

/** `server.v1.ServerApi` from the proto: hosts and clients (tests, backends) load the same. */
export function loadServerApi(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(SERVER_API_PROTO, {
    keepCase: true,
    longs: Number,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition).server as grpc.GrpcObject;
  return (pkg.v1 as grpc.GrpcObject).ServerApi as grpc.ServiceClientConstructor;
}

type Handler = (request: Record<string, unknown>) => unknown | Promise<unknown>;

/** Builds the ServerApi calls of one host: each checks the key for its scope first. */
export function serverApiCalls(guard: ApiKeyGuard, logger: Logger) {
  return (scope: ApiKeyScope, name: string, handler: Handler) =>
  (
    call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ) => {
    const authorization = call.metadata.get("authorization")[0]?.toString();
    guard.require(authorization, scope).then(() => handler(call.request)).then(
      (response) => callback(null, response as never),
      (err) => callback(grpcFailure(err, logger, name)),
    );
  };
}

/**
 * Serves this host's part of ServerApi on `listen`; the calls it leaves out answer UNIMPLEMENTED
 * (grpc-js does that for a method without a handler).
 */
export function serveServerApi(
  listen: GrpcListen,
  calls: grpc.UntypedServiceImplementation,
  maxMessageBytes: number,
): Promise<RunningGrpc> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": maxMessageBytes });
  server.addService(loadServerApi().service, calls);
  return serveGrpc(server, listen);
}
