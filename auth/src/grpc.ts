import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import { GRPC_STATUS, toAppError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/logging/logger.ts";
import type { AuthService } from "./service.ts";
import type { UserView } from "./schemas.ts";

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

type Handler = (req: Record<string, unknown>) => Promise<unknown>;

/** Adapts a promise-returning handler to grpc-js, mapping AppError codes to gRPC statuses. */
function unary(
  logger: Logger,
  name: string,
  handler: Handler,
): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    handler(call.request as Record<string, unknown>).then(
      (response) => callback(null, response),
      (err) => {
        const appErr = toAppError(err);
        if (appErr.code === "INTERNAL") logger.error("grpc call failed", { method: name, err });
        const metadata = new grpc.Metadata();
        metadata.set("error-code", appErr.code);
        callback({ code: GRPC_STATUS[appErr.code], details: appErr.message, metadata });
      },
    );
  };
}

export async function startGrpcServer(
  service: AuthService,
  port: number,
  logger: Logger,
): Promise<{ port: number; stop(): Promise<void> }> {
  const pkg = loadAuthPackage();
  const server = new grpc.Server();
  const AuthServiceDef = (pkg.AuthService as grpc.ServiceClientConstructor).service;
  server.addService(AuthServiceDef, {
    Register: unary(logger, "Register", async (r) =>
      grpcUser(
        await service.register({
          email: r.email,
          password: r.password,
          displayName: r.display_name || undefined,
        }),
      )),
    GenerateToken: unary(logger, "GenerateToken", async (r) => {
      const t = await service.login({ email: r.email, password: r.password });
      return {
        access_token: t.accessToken,
        token_type: t.tokenType,
        expires_in: t.expiresIn,
        user: grpcUser(t.user),
      };
    }),
    ValidateToken: unary(logger, "ValidateToken", async (r) => {
      const p = await service.validateToken(r.token);
      return { user_id: p.userId, expires_at: p.expiresAt };
    }),
  });
  const boundPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `0.0.0.0:${port}`,
      grpc.ServerCredentials.createInsecure(),
      (err, p) => err ? reject(err) : resolve(p),
    )
  );
  return {
    port: boundPort,
    stop: () =>
      new Promise<void>((resolve) => {
        // Give in-flight calls a moment, then force.
        const timer = setTimeout(() => server.forceShutdown(), 5_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
