import { AppError, errorBody, HTTP_STATUS } from "../errors.ts";
import type { Logger } from "../logging/logger.ts";
import type { Principal, TokenVerifier } from "../ports/tokens.ts";
import { CloseCode } from "../protocol/frames.ts";
import { upgradeToken, type WsProtocol } from "./ws_auth.ts";
import type { SocketRegistry } from "./ws_registry.ts";

export interface AdmissionLimits {
  maxConnections: number;
  maxConnectionsPerUser: number;
}

/** Upgrades an admitted request and registers its socket, before anything else can run. */
export type Accept = (principal: Principal, protocol: WsProtocol | undefined) => Response;

/**
 * Who may open a socket: a WebSocket upgrade with a valid access token, while the server is not
 * draining and under its caps. Answers with `accept`'s response, or with a refusal. `accept` runs
 * in the same synchronous step as the cap check, so concurrent upgrades cannot all pass a cap
 * that only one more socket would reach.
 */
export async function admit(
  req: Request,
  verifier: TokenVerifier,
  registry: SocketRegistry,
  limits: AdmissionLimits,
  logger: Logger,
  accept: Accept,
): Promise<Response> {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return refuse(new AppError("INVALID", "expected a WebSocket upgrade"), 426);
  }
  if (registry.draining) return refuse(new AppError("UNAVAILABLE", "server is shutting down"));
  const { token, protocol } = upgradeToken(req);
  if (!token) return refuse(new AppError("UNAUTHENTICATED", "missing bearer token"));
  let principal: Principal;
  try {
    principal = await verifier.verify(token);
  } catch (err) {
    return refuse(err instanceof AppError ? err : new AppError("UNAUTHENTICATED", "bad token"));
  }
  // Deno.upgradeWebSocket throws on these; a malformed handshake is the client's mistake.
  if (
    !req.headers.get("connection")?.toLowerCase().includes("upgrade") ||
    !req.headers.get("sec-websocket-key")
  ) {
    return refuse(new AppError("INVALID", "malformed WebSocket handshake"));
  }
  const overCap = registry.size >= limits.maxConnections
    ? "server connection limit reached"
    : registry.countFor(principal.userId) >= limits.maxConnectionsPerUser
    ? "too many connections for this user"
    : undefined;
  // Over a cap the socket is accepted and closed at once with 4030 and a reason: a browser
  // never sees the status of a refused upgrade, but it does see a close code.
  if (overCap) {
    logger.info("closing socket over cap", { user: principal.userId, reason: overCap });
    return closeAtOnce(req, protocol, CloseCode.TOO_MANY_CONNECTIONS, overCap);
  }
  return accept(principal, protocol);
}

function closeAtOnce(req: Request, protocol: string | undefined, code: number, reason: string) {
  const { socket, response } = Deno.upgradeWebSocket(req, { protocol });
  socket.onopen = () => socket.close(code, reason);
  socket.onerror = () => {};
  return response;
}

function refuse(err: AppError, status?: number): Response {
  return Response.json(errorBody(err), { status: status ?? HTTP_STATUS[err.code] });
}
