import { AppError, errorBody, HTTP_STATUS } from "../errors.ts";
import type { Logger } from "../logging/logger.ts";
import type { Principal, TokenVerifier } from "../ports/tokens.ts";
import { CloseCode, type ServerFrame, SharedFrame } from "../protocol/frames.ts";
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
  send(frame: ServerFrame | SharedFrame): boolean;
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
    // Deno.upgradeWebSocket throws on these; a malformed handshake is the client's mistake.
    if (
      !req.headers.get("connection")?.toLowerCase().includes("upgrade") ||
      !req.headers.get("sec-websocket-key")
    ) {
      return refuse(new AppError("INVALID", "malformed WebSocket handshake"));
    }
    const mine = this.perUser.get(principal.userId) ?? 0;
    const overCap = this.sessions.size >= this.limits.maxConnections
      ? "server connection limit reached"
      : mine >= this.limits.maxConnectionsPerUser
      ? "too many connections for this user"
      : undefined;
    // Over a cap the socket is accepted and closed at once with 4030 and a reason: a browser
    // never sees the status of a refused upgrade, but it does see a close code.
    if (overCap) {
      this.logger.info("closing socket over cap", { user: principal.userId, reason: overCap });
      return closeAtOnce(req, protocol, CloseCode.TOO_MANY_CONNECTIONS, overCap);
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
      // setTimeout holds at most 2^31-1 ms; a longer-lived token is closed early, never late.
      Math.min(Math.max(0, principal.expiresAt * 1000 - Date.now()), 2 ** 31 - 1),
    );
    socket.onopen = () => session.logger.info("socket opened");
    socket.onmessage = (event) => {
      if (!session.heard()) return;
      if (frameExceeds(event.data, this.limits.maxFrameBytes)) {
        session.logger.warn("closing socket: frame too large");
        session.close(
          CloseCode.FRAME_TOO_LARGE,
          `frame exceeds ${this.limits.maxFrameBytes} bytes`,
        );
        return;
      }
      if (typeof event.data !== "string") {
        session.send({
          type: "error",
          code: "INVALID",
          message: "binary frames are not supported",
        });
        return;
      }
      try {
        handlers.onText(session, event.data);
      } catch (err) {
        session.logger.error("frame handler failed", { err });
      }
    };
    socket.onclose = (event) => {
      clearTimeout(expiry);
      session.closed();
      session.logger.info("socket closed", { code: event.code, reason: event.reason });
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

  /** Closes every socket of `userId` on this instance; resolves how many there were. */
  closeUser(userId: string, code: number, reason: string): number {
    const theirs = [...this.sessions].filter((s) => s.principal.userId === userId);
    for (const s of theirs) s.close(code, reason);
    return theirs.length;
  }

  /** Refuses new upgrades from now on (the first step of a graceful drain). */
  stopAccepting(): void {
    this.draining = true;
  }

  /**
   * Closes every socket with 1001 (going away) so clients reconnect elsewhere, and resolves once
   * they have closed (or after `timeoutMs`).
   */
  async closeAll(reason = "server shutting down", timeoutMs = 5_000): Promise<void> {
    this.draining = true;
    const sessions = [...this.sessions];
    for (const s of sessions) s.close(CloseCode.GOING_AWAY, reason);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(sessions.map((s) => s.whenClosed())),
      new Promise((resolve) => timer = setTimeout(resolve, timeoutMs)),
    ]);
    clearTimeout(timer);
  }
}

/**
 * Deno drops a server's close frame when a client frame is already on its way in as close() is
 * called (the client then sees an abnormal closure with no code). So a close first stops handling
 * frames, then picks its moment: when the peer has been quiet for CLOSE_QUIET_MS, or right after
 * a frame of a paced sender (the last PACED_FRAMES frames each came alone, PACED_GAP_MS or more
 * apart, so the next one is likely as far off; a buffered burst read by a busy process can show
 * one such gap, rarely several), and at the latest after CLOSE_WAIT_MS. A client that never
 * pauses is still cut off, only without a readable code.
 */
const CLOSE_QUIET_MS = 50;
const PACED_GAP_MS = 10;
const PACED_FRAMES = 3;
const CLOSE_WAIT_MS = 1_000;

class SessionImpl implements Session {
  readonly id = crypto.randomUUID();
  readonly logger: Logger;
  private readonly backlog: SendBacklog;
  private readonly maxQueuedFrames: number;
  private lastFrameAt = 0;
  /** Consecutive frames that each arrived PACED_GAP_MS or more after the previous one. */
  private pacedFrames = 0;
  private pendingClose:
    | { code: number; reason: string; timer?: ReturnType<typeof setTimeout> }
    | undefined;
  private onClosed: (() => void)[] = [];

  constructor(
    private readonly socket: WebSocket,
    readonly principal: Principal,
    private readonly limits: SocketLimits,
    logger: Logger,
    private readonly onSlow: () => void,
  ) {
    this.logger = logger.child({ conn: this.id, user: principal.userId });
    this.backlog = new SendBacklog();
    this.maxQueuedFrames = limits.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES;
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN && !this.pendingClose;
  }

  /** Notes an incoming frame; false once a close is under way (the frame is to be ignored). */
  heard(): boolean {
    const now = performance.now();
    this.pacedFrames = now - this.lastFrameAt >= PACED_GAP_MS ? this.pacedFrames + 1 : 0;
    this.lastFrameAt = now;
    if (this.pendingClose && this.pacedFrames >= PACED_FRAMES) this.closeNow();
    return this.open;
  }

  send(frame: ServerFrame | SharedFrame): boolean {
    if (!this.open) return false;
    const before = this.socket.bufferedAmount;
    if (
      this.backlog.earlierBytes(before) > this.limits.maxBufferedBytes ||
      this.backlog.earlierFrames(before) > this.maxQueuedFrames
    ) {
      this.onSlow();
      this.close(CloseCode.SLOW_CONSUMER, "slow consumer");
      return false;
    }
    this.socket.send(frame instanceof SharedFrame ? frame.json : JSON.stringify(frame));
    const after = this.socket.bufferedAmount;
    this.backlog.queued(after - before, after);
    return true;
  }

  async writable(): Promise<boolean> {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (
      this.open && (this.socket.bufferedAmount > this.limits.maxBufferedBytes / 2 ||
        this.backlog.frames(this.socket.bufferedAmount) > this.maxQueuedFrames / 2)
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
    if (this.pendingClose || this.socket.readyState > WebSocket.OPEN) return;
    this.pendingClose = { code, reason };
    const giveUpAt = performance.now() + CLOSE_WAIT_MS;
    const attempt = () => {
      const now = performance.now();
      const waiting = this.socket.readyState === WebSocket.CONNECTING ||
        now - this.lastFrameAt < CLOSE_QUIET_MS;
      if (waiting && now < giveUpAt) this.pendingClose!.timer = setTimeout(attempt, 10);
      else this.closeNow();
    };
    attempt();
  }

  private closeNow(): void {
    const pending = this.pendingClose!;
    clearTimeout(pending.timer);
    if (this.socket.readyState <= WebSocket.OPEN) this.socket.close(pending.code, pending.reason);
  }

  /** Resolves once the socket has closed. */
  whenClosed(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.onClosed.push(resolve));
  }

  closed(): void {
    clearTimeout(this.pendingClose?.timer);
    for (const resolve of this.onClosed.splice(0)) resolve();
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

function closeAtOnce(req: Request, protocol: string | undefined, code: number, reason: string) {
  const { socket, response } = Deno.upgradeWebSocket(req, { protocol });
  socket.onopen = () => socket.close(code, reason);
  socket.onerror = () => {};
  return response;
}

function refuse(err: AppError, status?: number): Response {
  return Response.json(errorBody(err), { status: status ?? HTTP_STATUS[err.code] });
}
