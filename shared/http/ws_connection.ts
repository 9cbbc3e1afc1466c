import { AppError } from "../errors.ts";
import type { Logger } from "../logging/logger.ts";
import type { Principal } from "../ports/tokens.ts";
import { CloseCode, type ServerFrame, SharedFrame } from "../protocol/frames.ts";
import { GracefulClose } from "./ws_graceful_close.ts";
import { type SenderLimits, SocketSender } from "./ws_sender.ts";
import type { Session } from "./ws_session.ts";

/** What a connection needs from the server that made it; one object shared by all of them. */
export interface ConnectionHost {
  readonly logger: Logger;
  readonly limits: SenderLimits;
  verify(token: string): Promise<Principal>;
  /** The connection's token now expires at `principal.expiresAt`. */
  expiresAt(connection: Connection, principal: Principal): void;
  slowConsumer(): void;
}

/** A session over a server-side WebSocket: its sender, its close, its principal. */
export class Connection implements Session {
  readonly id = crypto.randomUUID();
  private readonly sender: SocketSender;
  private readonly closer: GracefulClose;
  private child: Logger | undefined;

  constructor(
    private readonly socket: WebSocket,
    public principal: Principal,
    batched: boolean,
    private readonly host: ConnectionHost,
  ) {
    this.sender = new SocketSender(socket, batched, host.limits, this);
    this.closer = new GracefulClose(socket, this.sender);
  }

  /** Built on first use: most sockets never log anything of their own. */
  get logger(): Logger {
    return this.child ??= this.host.logger.child({ conn: this.id, user: this.principal.userId });
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN && !this.closer.closing;
  }

  /** Notes an incoming frame; false once a close is under way (the frame is to be ignored). */
  heard(): boolean {
    this.closer.heard();
    return this.open;
  }

  send(frame: ServerFrame | SharedFrame): boolean {
    if (!this.open) return false;
    this.sender.send(frame instanceof SharedFrame ? frame.json : JSON.stringify(frame));
    return true;
  }

  writable(): Promise<boolean> {
    return this.sender.writable(() => this.open);
  }

  async refresh(token: string): Promise<Principal> {
    const next = await this.host.verify(token);
    if (next.userId !== this.principal.userId) {
      throw new AppError("FORBIDDEN", "token is for another user");
    }
    this.principal = next;
    if (this.socket.readyState <= WebSocket.OPEN) this.host.expiresAt(this, next);
    return next;
  }

  close(code: number, reason: string): void {
    this.closer.close(code, reason);
  }

  /** The socket closed (either side). */
  closed(): void {
    this.closer.closed();
  }

  /** The sender found the peer too slow: cut it off. */
  slow(): void {
    this.host.slowConsumer();
    this.close(CloseCode.SLOW_CONSUMER, "slow consumer");
  }
}
