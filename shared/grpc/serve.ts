import * as grpc from "@grpc/grpc-js";
import { GRPC_STATUS, toAppError } from "../errors.ts";
import type { Logger } from "../logging/logger.ts";

export interface GrpcListen {
  host: string;
  port: number;
}

export interface RunningGrpc {
  port: number;
  stop(): Promise<void>;
}

/**
 * Any failure as a gRPC status: the AppError code mapped as everywhere, and also sent as is in
 * the `error-code` trailer (several codes share one status); INTERNAL is logged, never detailed.
 */
export function grpcFailure(err: unknown, logger: Logger, method: string): grpc.ServiceError {
  const appErr = toAppError(err);
  if (appErr.code === "INTERNAL") logger.error("grpc call failed", { method, err });
  const metadata = new grpc.Metadata();
  metadata.set("error-code", appErr.code);
  if (appErr.retryAfterSeconds !== undefined) {
    metadata.set("retry-after", String(Math.ceil(appErr.retryAfterSeconds)));
  }
  return Object.assign(new Error(appErr.message), {
    code: GRPC_STATUS[appErr.code],
    details: appErr.message,
    metadata,
  });
}

/** Binds `server` (its services added) on `listen`; `stop` lets calls finish for 5 s, then cuts. */
export async function serveGrpc(server: grpc.Server, listen: GrpcListen): Promise<RunningGrpc> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${listen.host.includes(":") ? `[${listen.host}]` : listen.host}:${listen.port}`,
      grpc.ServerCredentials.createInsecure(),
      (err, p) => err ? reject(err) : resolve(p),
    )
  );
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), 5_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
