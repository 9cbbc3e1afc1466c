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
 * A repeat of the signal within this long is the same request: `deno task` forwards the terminal's
 * Ctrl-C to the process the terminal has already signalled (they share its process group), so one
 * keypress arrives twice a few milliseconds apart.
 */
const SAME_REQUEST_MS = 1_000;

/**
 * Runs `stop` once on SIGINT or SIGTERM, then exits. A signal that comes later exits at once, so an
 * operator is never stuck behind a hung drain.
 */
export function onShutdownSignal(logger: Logger, stop: () => Promise<void>): void {
  let firstAt: number | undefined;
  const handle = (signal: Deno.Signal) => {
    if (firstAt !== undefined) {
      if (performance.now() - firstAt < SAME_REQUEST_MS) return;
      logger.warn("second signal: exiting without finishing the shutdown", { signal });
      Deno.exit(1);
    }
    firstAt = performance.now();
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
