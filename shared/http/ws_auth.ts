import { bearerToken } from "../auth/jwt_verifier.ts";

/** The subprotocol servers answer with; browsers offer it alongside their token. */
export const WS_PROTOCOL = "rtm.v1";
const TOKEN_PROTOCOL_PREFIX = "bearer.";

/**
 * The access token of a WebSocket upgrade request. Servers and websocat send
 * `Authorization: Bearer …`; browsers, which cannot set headers, offer the subprotocols
 * `rtm.v1, bearer.<jwt>` so the short-lived token never appears in a URL or an access log.
 */
export function upgradeToken(req: Request): { token?: string; protocol?: string } {
  const header = bearerToken(req.headers.get("authorization"));
  const offered = (req.headers.get("sec-websocket-protocol") ?? "")
    .split(",").map((p) => p.trim()).filter(Boolean);
  const fromProtocol = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))
    ?.slice(TOKEN_PROTOCOL_PREFIX.length);
  return {
    token: header ?? fromProtocol,
    protocol: offered.includes(WS_PROTOCOL) ? WS_PROTOCOL : undefined,
  };
}
