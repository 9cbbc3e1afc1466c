import { CloseCode, type ServerFrame, TOKEN_PROTOCOL_PREFIX, WS_PROTOCOLS } from "./wire.ts";
import { backoffDelay, type BackoffPolicy } from "./backoff.ts";
import type { TokenKeeper } from "./tokens.ts";

export type SocketState = "connecting" | "open" | "reconnecting" | "closed";

export interface SocketHooks {
  /** After every (re)connect: the owner resends what is pending and resubscribes. */
  onOpen(): void;
  onFrame(frame: ServerFrame): void;
  onState(state: SocketState): void;
}

export interface SocketOptions {
  backoff: BackoffPolicy;
  /** A ping this often; no frame at all for twice as long means the connection is dead. */
  heartbeatMs: number;
}

/**
 * One service's WebSocket that stays connected: it hands every renewed token to the server over
 * the open socket (so it outlives its first token, subscriptions and all), reconnects with
 * backoff and jitter, renews the token first when the server closed for expiry anyway, and
 * notices a silently dead connection by its heartbeat. Given several URLs (instances of the
 * service) it starts at a random one, so clients spread over them, and moves to the next whenever
 * a connection fails or drops. What to resend after a reconnect is the owner's business (onOpen).
 */
export class ServiceSocket {
  private ws?: WebSocket;
  private index: number;
  private attempt = 0;
  private state: SocketState = "connecting";
  private retryTimer?: ReturnType<typeof setTimeout>;
  private heartbeat?: ReturnType<typeof setInterval>;
  private lastFrameAt = 0;
  private stopped = false;
  private refreshes = 0;
  private readonly stopRenewals: () => void;

  constructor(
    private readonly urls: readonly string[],
    private readonly tokens: TokenKeeper,
    private readonly hooks: SocketHooks,
    private readonly opts: SocketOptions,
  ) {
    this.index = Math.floor(Math.random() * urls.length);
    // Refused (a server without in-band refresh, say): the socket closes at expiry and reconnects.
    this.stopRenewals = tokens.onRenewed((token) =>
      this.send({ id: `refresh-${++this.refreshes}`, type: "refresh", token })
    );
    void this.open();
  }

  /** Which of the URLs the socket is on (or tries next). */
  get instance(): number {
    return this.index;
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends a frame if the socket is open; returns false otherwise (the owner keeps it pending). */
  send(frame: unknown): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  close(): void {
    this.stopped = true;
    this.stopRenewals();
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    this.ws?.close(1000, "client closed");
    this.setState("closed");
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    let token: string;
    try {
      token = await this.tokens.fresh();
    } catch {
      return this.retryLater();
    }
    if (this.stopped) return;
    // The token rides as a subprotocol (browsers cannot set headers); rtm.v2 is preferred.
    const ws = new WebSocket(this.urls[this.index], [
      ...WS_PROTOCOLS,
      `${TOKEN_PROTOCOL_PREFIX}${token}`,
    ]);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.lastFrameAt = Date.now();
      this.startHeartbeat(ws);
      this.setState("open");
      this.hooks.onOpen();
    };
    ws.onmessage = (event) => {
      this.lastFrameAt = Date.now();
      const data = event.data as string;
      for (const line of ws.protocol === "rtm.v2" ? data.split("\n") : [data]) {
        let frame: ServerFrame;
        try {
          frame = JSON.parse(line);
        } catch {
          continue; // not a frame of ours; the server only sends JSON
        }
        if (frame.type === "pong" || isRefreshReply(frame)) continue;
        this.hooks.onFrame(frame);
      }
    };
    ws.onerror = () => {};
    ws.onclose = (event) => this.lost(ws, event.code);
  }

  private lost(ws: WebSocket, code: number): void {
    if (ws !== this.ws) return; // an older socket already replaced
    ws.onclose = ws.onmessage = ws.onopen = null;
    if (ws.readyState < WebSocket.CLOSING) ws.close();
    this.ws = undefined;
    clearInterval(this.heartbeat);
    if (this.stopped) return;
    if (code === CloseCode.DISCONNECTED) return this.close();
    this.setState("reconnecting");
    if (code === CloseCode.TOKEN_EXPIRED) {
      // The server closed at the token's expiry: renew and come back at once.
      this.tokens.refresh().then(() => this.open(), () => this.retryLater());
      return;
    }
    // This instance failed us (refused, dropped, went silent, shut down): try another.
    this.index = (this.index + 1) % this.urls.length;
    this.retryLater();
  }

  private retryLater(): void {
    if (this.stopped) return;
    this.setState("reconnecting");
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(
      () => void this.open(),
      backoffDelay(this.attempt++, this.opts.backoff),
    );
  }

  private startHeartbeat(ws: WebSocket): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastFrameAt > 2 * this.opts.heartbeatMs) return this.lost(ws, 1006);
      this.send({ type: "ping" });
    }, this.opts.heartbeatMs);
  }

  private setState(state: SocketState): void {
    if (state === this.state) return;
    this.state = state;
    this.hooks.onState(state);
  }
}

/** The answer to an in-band refresh: nothing for the owner (a refused one ends at expiry). */
function isRefreshReply(frame: ServerFrame): boolean {
  return frame.type === "refreshed" ||
    (frame.type === "error" && typeof frame.id === "string" && frame.id.startsWith("refresh-"));
}
