import type { Logger } from "../logging/logger.ts";

export interface RunningServer {
  port: number;
  /** Stops accepting connections and waits for in-flight requests to finish. */
  shutdown(): Promise<void>;
}

/** Serves a fetch handler on `port` (0 = any free port) and reports the bound port. */
export function serveHttp(
  handler: (
    req: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ) => Response | Promise<Response>,
  opts: { port: number; hostname?: string; logger: Logger; name: string },
): RunningServer {
  const server = Deno.serve({
    port: opts.port,
    hostname: opts.hostname ?? "0.0.0.0",
    onListen: () => {},
  }, handler);
  const port = server.addr.port;
  opts.logger.info("listening", { server: opts.name, port });
  return { port, shutdown: () => server.shutdown() };
}

/**
 * Runs `stop` once on SIGINT or SIGTERM, then exits. A second signal exits at once, so an operator
 * is never stuck behind a hung drain.
 */
export function onShutdownSignal(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: Deno.Signal) => {
    if (stopping) Deno.exit(1);
    stopping = true;
    logger.info("shutting down", { signal });
    stop().then(
      () => Deno.exit(0),
      (err) => {
        logger.error("shutdown failed", { err });
        Deno.exit(1);
      },
    );
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => handle(signal));
  }
}
