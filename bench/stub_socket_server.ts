import { SocketServer } from "../shared/http/ws_session.ts";
import { createLogger, setLogLevel } from "../shared/logging/logger.ts";

/**
 * The shared SocketServer for the bench's one-process models: every token is accepted (as one
 * user who never expires), caps out of the way, warnings only in the log.
 */
export function stubSocketServer(service: string): SocketServer {
  setLogLevel("warn");
  return new SocketServer(
    { verify: () => Promise.resolve({ userId: "bench", issuedAt: 0, expiresAt: 2 ** 40 }) },
    {
      maxFrameBytes: 1 << 20,
      maxConnections: 1 << 20,
      maxConnectionsPerUser: 1 << 20,
      maxBufferedBytes: 64 << 20,
    },
    createLogger({ service }),
  );
}
