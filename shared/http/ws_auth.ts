import { bearerToken } from "../auth/jwt_verifier.ts";
import { TOKEN_PROTOCOL_PREFIX, WS_PROTOCOLS } from "../../web/sdk/wire.ts";

export { WS_PROTOCOLS };

export type WsProtocol = typeof WS_PROTOCOLS[number];

/**
 * The access token and chosen subprotocol of a WebSocket upgrade request. Servers and websocat
 * send `Authorization: Bearer …`; browsers, which cannot set headers, offer the subprotocols
 * `rtm.v2, bearer.<jwt>` so the short-lived token never appears in a URL or an access log.
 */
export function upgradeToken(req: Request): { token?: string; protocol?: WsProtocol } {
  const header = bearerToken(req.headers.get("authorization"));
  const offered = (req.headers.get("sec-websocket-protocol") ?? "")
    .split(",").map((p) => p.trim()).filter(Boolean);
  const fromProtocol = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))
    ?.slice(TOKEN_PROTOCOL_PREFIX.length);
  return {
    token: header ?? fromProtocol,
    protocol: WS_PROTOCOLS.find((p) => offered.includes(p)),
  };
}
