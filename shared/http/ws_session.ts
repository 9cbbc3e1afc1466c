import { AppError, errorBody, HTTP_STATUS } from "../errors.ts";
import type { Logger } from "../logging/logger.ts";
import type { Principal, TokenVerifier } from "../ports/tokens.ts";
import { CloseCode, type ServerFrame } from "../protocol/frames.ts";
import { SendBacklog } from "./send_backlog.ts";
import { upgradeToken } from "./ws_auth.ts";

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
  readonly principal: Principal;
  readonly logger: Logger;
  /** Sends a frame; closes the socket with SLOW_CONSUMER when the peer is not keeping up. */
  send(frame: ServerFrame): boolean;
  /**
   * Resolves true once the peer has taken most of what was queued (below half of either bound),
   * so bulk senders pace themselves; a peer that takes nothing for DRAIN_TIMEOUT_MS is cut off
   * as a slow consumer and this resolves false.
   */
  writable(): Promise<boolean>;
  close(code: number, reason: string): void;
  readonly open: boolean;
}

const DRAIN_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 5;

export interface SessionHandlers {
  /** A text frame within the size limit. */
  onText(session: Session, data: string): void;
  onClose?(session: Session): void;
}

/**
 * The connection registry and upgrade path both socket services share: authenticate, enforce
 * caps, close on token expiry, refuse oversize and binary frames, cut off slow readers, and close
 * everything with 1001 on drain.
 */
export class SocketServer {
  private readonly sessions = new Set<SessionImpl>();
  private readonly perUser = new Map<string, number>();
  private draining = false;

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly limits: SocketLimits,
    private readonly logger: Logger,
    private readonly observer: { connections(n: number): void; slowConsumer(): void } = {
      connections: () => {},
      slowConsumer: () => {},
    },
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  async upgrade(req: Request, handlers: SessionHandlers): Promise<Response> {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return refuse(new AppError("INVALID", "expected a WebSocket upgrade"), 426);
    }
    if (this.draining) return refuse(new AppError("UNAVAILABLE", "server is shutting down"));
    const { token, protocol } = upgradeToken(req);
    if (!token) return refuse(new AppError("UNAUTHENTICATED", "missing bearer token"));
    let principal: Principal;
    try {
      principal = await this.verifier.verify(token);
    } catch (err) {
      return refuse(err instanceof AppError ? err : new AppError("UNAUTHENTICATED", "bad token"));
    }
    if (this.sessions.size >= this.limits.maxConnections) {
      return refuse(new AppError("UNAVAILABLE", "server connection limit reached"));
    }
    const mine = this.perUser.get(principal.userId) ?? 0;
    if (mine >= this.limits.maxConnectionsPerUser) {
      return refuse(new AppError("RATE_LIMITED", "too many connections for this user"));
    }
    const { socket, response } = Deno.upgradeWebSocket(req, { protocol, idleTimeout: 30 });
    const session = new SessionImpl(
      socket,
      principal,
      this.limits,
      this.logger,
      () => this.observer.slowConsumer(),
    );
    this.perUser.set(principal.userId, mine + 1);
    this.sessions.add(session);
    this.observer.connections(this.sessions.size);
    const expiry = setTimeout(
      () => session.close(CloseCode.TOKEN_EXPIRED, "token expired"),
      Math.max(0, principal.expiresAt * 1000 - Date.now()),
    );
    socket.onmessage = (event) => {
      if (typeof event.data !== "string") {
        const size = (event.data as ArrayBuffer).byteLength ?? 0;
        if (size > this.limits.maxFrameBytes) {
          session.close(CloseCode.FRAME_TOO_LARGE, "frame too large");
          return;
        }
        session.send({
          type: "error",
          code: "INVALID",
          message: "binary frames are not supported",
        });
        return;
      }
      // UTF-16 length bounds UTF-8 bytes from below; x3 bounds it from above.
      if (event.data.length > this.limits.maxFrameBytes) {
        session.close(CloseCode.FRAME_TOO_LARGE, "frame too large");
        return;
      }
      try {
        handlers.onText(session, event.data);
      } catch (err) {
        session.logger.error("frame handler failed", { err });
      }
    };
    socket.onclose = () => {
      clearTimeout(expiry);
      if (!this.sessions.delete(session)) return;
      const left = (this.perUser.get(principal.userId) ?? 1) - 1;
      if (left === 0) this.perUser.delete(principal.userId);
      else this.perUser.set(principal.userId, left);
      this.observer.connections(this.sessions.size);
      handlers.onClose?.(session);
    };
    socket.onerror = () => {};
    return response;
  }

  /** Refuses new upgrades from now on (the first step of a graceful drain). */
  stopAccepting(): void {
    this.draining = true;
  }

  /** Closes every socket with 1001 (going away); clients reconnect elsewhere. */
  closeAll(reason = "server shutting down"): void {
    this.draining = true;
    for (const s of this.sessions) s.close(CloseCode.GOING_AWAY, reason);
  }
}

class SessionImpl implements Session {
  readonly id = crypto.randomUUID();
  readonly logger: Logger;
  private readonly backlog: SendBacklog;
  private readonly maxQueuedFrames: number;

  constructor(
    private readonly socket: WebSocket,
    readonly principal: Principal,
    private readonly limits: SocketLimits,
    logger: Logger,
    private readonly onSlow: () => void,
  ) {
    this.logger = logger.child({ conn: this.id, user: principal.userId });
    this.backlog = new SendBacklog(() => socket.bufferedAmount);
    this.maxQueuedFrames = limits.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES;
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(frame: ServerFrame): boolean {
    if (!this.open) return false;
    if (
      this.backlog.earlierBytes > this.limits.maxBufferedBytes ||
      this.backlog.earlierFrames > this.maxQueuedFrames
    ) {
      this.onSlow();
      this.close(CloseCode.SLOW_CONSUMER, "slow consumer");
      return false;
    }
    const before = this.socket.bufferedAmount;
    this.socket.send(JSON.stringify(frame));
    this.backlog.queued(this.socket.bufferedAmount - before);
    return true;
  }

  async writable(): Promise<boolean> {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (
      this.open && (this.backlog.bytes > this.limits.maxBufferedBytes / 2 ||
        this.backlog.frames > this.maxQueuedFrames / 2)
    ) {
      if (Date.now() > deadline) {
        this.onSlow();
        this.close(CloseCode.SLOW_CONSUMER, "slow consumer");
        return false;
      }
      await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
    }
    return this.open;
  }

  close(code: number, reason: string): void {
    if (
      this.socket.readyState === WebSocket.CLOSED || this.socket.readyState === WebSocket.CLOSING
    ) {
      return;
    }
    try {
      this.socket.close(code, reason);
    } catch {
      // Still CONNECTING: the upgrade has not completed; nothing to send a close frame on.
    }
  }
}

function refuse(err: AppError, status?: number): Response {
  return Response.json(errorBody(err), { status: status ?? HTTP_STATUS[err.code] });
}
