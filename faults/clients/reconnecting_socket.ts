import type { ServerFrame } from "../../shared/protocol/frames.ts";

const BASE_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2_000;

/** Exponential backoff with full jitter, as a client SDK reconnects. */
export function backoff(attempt: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One WebSocket that comes back after every close: it tries the given URLs in turn with backoff
 * until one opens, tells `onOpen` (so the owner resends or resubscribes), and stops for good on
 * `close()`. Every reconnect is counted.
 */
export class ReconnectingSocket {
  private socket?: WebSocket;
  private stopped = false;
  private next = 0;
  reconnects = 0;
  /** When the current disconnection began, for time-to-recover figures. */
  downSince?: number;

  constructor(
    private readonly urls: string[],
    private readonly token: string,
    private readonly handlers: {
      onOpen(): void;
      onFrame(frame: ServerFrame): void;
      onDown?(): void;
    },
  ) {}

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  start(): Promise<void> {
    return this.open(0);
  }

  send(frame: unknown): boolean {
    if (!this.isOpen) return false;
    this.socket!.send(JSON.stringify(frame));
    return true;
  }

  close(): void {
    this.stopped = true;
    this.socket?.close();
  }

  private async open(attempt: number): Promise<void> {
    while (!this.stopped) {
      const url = this.urls[this.next++ % this.urls.length];
      const socket = new WebSocket(url, { headers: { authorization: `Bearer ${this.token}` } });
      const opened = await new Promise<boolean>((resolve) => {
        socket.onopen = () => resolve(true);
        socket.onerror = () => resolve(false);
        socket.onclose = () => resolve(false);
      });
      if (!opened) {
        await sleep(backoff(attempt++));
        continue;
      }
      if (this.stopped) {
        socket.close();
        return;
      }
      this.socket = socket;
      socket.onmessage = (e) => this.handlers.onFrame(JSON.parse(e.data as string));
      socket.onerror = () => {};
      socket.onclose = () => {
        if (this.socket !== socket || this.stopped) return;
        this.downSince = Date.now();
        this.reconnects++;
        this.handlers.onDown?.();
        void this.open(0);
      };
      this.handlers.onOpen();
      return;
    }
  }
}
