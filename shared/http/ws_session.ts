import type { Logger } from "../logging/logger.ts";
import type { Principal, TokenVerifier } from "../ports/tokens.ts";
import { CloseCode, type ServerFrame, type SharedFrame } from "../protocol/frames.ts";
import { ExpiryWheel } from "./expiry_wheel.ts";
import { admit } from "./ws_admission.ts";
import type { WsProtocol } from "./ws_auth.ts";
import { Connection, type ConnectionHost } from "./ws_connection.ts";
import { SocketRegistry } from "./ws_registry.ts";

export interface SocketLimits {
  maxFrameBytes: number;
  maxConnections: number;
  maxConnectionsPerUser: number;
  /** Bytes queued in the socket beyond which the peer is a slow consumer and is cut off. */
  maxBufferedBytes: number;
  /** Frames queued in the socket beyond which the same happens (default 10,000). */
  maxQueuedFrames?: number;
}

const DEFAULT_MAX_QUEUED_FRAMES = 10_000;

/** One authenticated socket, as the service's inbound adapter sees it. */
export interface Session {
  readonly id: string;
  /** Who is on the socket; replaced (same user, later expiry) by an in-band refresh. */
  readonly principal: Principal;
  readonly logger: Logger;
  /** Queues a frame; false once the socket is closed or closing (cut off as too slow, say). */
  send(frame: ServerFrame | SharedFrame): boolean;
  /**
   * Resolves true once the peer has taken most of what was queued, so bulk senders pace
   * themselves; false when the socket is gone or was cut off as a slow consumer.
   */
  writable(): Promise<boolean>;
  /**
   * Takes a fresh access token for the same user: the socket then lives until its expiry.
   * Rejects with UNAUTHENTICATED for an invalid token (the socket stays, on its old token) and
   * with FORBIDDEN for another user's token.
   */
  refresh(token: string): Promise<Principal>;
  close(code: number, reason: string): void;
  readonly open: boolean;
}

export interface SessionHandlers {
  /** A text frame within the size limit. */
  onText(session: Session, data: string): void;
  onClose?(session: Session): void;
}

/**
 * The upgrade path both socket services share: admit (token, caps), register, close on token
 * expiry, refuse oversize and binary frames, and close everything with 1001 on drain.
 */
export class SocketServer {
  private readonly registry: SocketRegistry;
  private readonly expiries = new ExpiryWheel<Connection>((c) =>
    c.close(CloseCode.TOKEN_EXPIRED, "token expired")
  );
  private readonly host: ConnectionHost;

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly limits: SocketLimits,
    private readonly logger: Logger,
    observer: { connections(n: number): void; slowConsumer(): void } = {
      connections: () => {},
      slowConsumer: () => {},
    },
  ) {
    this.registry = new SocketRegistry((n) => observer.connections(n));
    this.host = {
      logger,
      limits: {
        maxBufferedBytes: limits.maxBufferedBytes,
        maxQueuedFrames: limits.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES,
      },
      verify: (token) => verifier.verify(token),
      expiresAt: (c, p) => this.expiries.set(c, p.expiresAt * 1000),
      slowConsumer: () => observer.slowConsumer(),
    };
  }

  get size(): number {
    return this.registry.size;
  }

  upgrade(req: Request, handlers: SessionHandlers): Promise<Response> {
    return admit(
      req,
      this.verifier,
      this.registry,
      this.limits,
      this.logger,
      (principal, protocol) => this.open(req, principal, protocol, handlers),
    );
  }

  /** Upgrades an admitted request: its connection, registered, with its expiry and handlers. */
  private open(
    req: Request,
    principal: Principal,
    protocol: WsProtocol | undefined,
    handlers: SessionHandlers,
  ): Response {
    const { socket, response } = Deno.upgradeWebSocket(req, { protocol, idleTimeout: 30 });
    const c = new Connection(socket, principal, protocol === "rtm.v2", this.host);
    this.registry.add(c);
    this.expiries.set(c, principal.expiresAt * 1000);
    const maxFrameBytes = this.limits.maxFrameBytes;
    socket.onmessage = (event) => {
      if (!c.heard()) return;
      if (frameExceeds(event.data, maxFrameBytes)) {
        c.logger.warn("closing socket: frame too large");
        c.close(CloseCode.FRAME_TOO_LARGE, `frame exceeds ${maxFrameBytes} bytes`);
        return;
      }
      if (typeof event.data !== "string") {
        c.send({ type: "error", code: "INVALID", message: "binary frames are not supported" });
        return;
      }
      try {
        handlers.onText(c, event.data);
      } catch (err) {
        c.logger.error("frame handler failed", { err });
      }
    };
    socket.onclose = (event) => {
      this.expiries.delete(c);
      c.closed();
      this.logger.info("socket closed", {
        conn: c.id,
        user: c.principal.userId,
        code: event.code,
        reason: event.reason,
      });
      if (this.registry.remove(c)) handlers.onClose?.(c);
    };
    // No error handler: an error event is followed by the close event, handled above, and an
    // on* handler costs ~0.4 KiB per socket in Deno (bench/socket_memory.ts).
    this.logger.info("socket opened", { conn: c.id, user: principal.userId, protocol });
    return response;
  }

  /** Closes every socket of `userId` on this instance; resolves how many there were. */
  closeUser(userId: string, code: number, reason: string): number {
    const theirs = [...this.registry.of(userId)];
    for (const c of theirs) c.close(code, reason);
    return theirs.length;
  }

  /**
   * Closes `userId`'s sockets opened with a token issued at or before `revokedAt` (epoch seconds)
   * with TOKEN_EXPIRED: their session was revoked (logout). Newer tokens' sockets stay open.
   */
  closeRevoked(userId: string, revokedAt: number): void {
    for (const c of this.registry.of(userId)) {
      if (c.principal.issuedAt <= revokedAt) c.close(CloseCode.TOKEN_EXPIRED, "session revoked");
    }
  }

  /** Refuses new upgrades from now on (the first step of a graceful drain). */
  stopAccepting(): void {
    this.registry.draining = true;
  }

  /**
   * Closes every socket with 1001 (going away) so clients reconnect elsewhere, and resolves once
   * they have closed (or after `timeoutMs`).
   */
  closeAll(reason = "server shutting down", timeoutMs = 5_000): Promise<void> {
    return this.registry.closeAll(reason, timeoutMs);
  }
}

const encoder = new TextEncoder();

/** Whether a frame exceeds `limit` bytes; text counts as UTF-8, encoded only when in doubt. */
function frameExceeds(data: unknown, limit: number): boolean {
  if (data instanceof ArrayBuffer) return data.byteLength > limit;
  if (typeof data !== "string") return false;
  // A UTF-16 code unit takes 1 to 3 UTF-8 bytes.
  if (data.length > limit) return true;
  if (data.length * 3 <= limit) return false;
  return encoder.encode(data).length > limit;
}
