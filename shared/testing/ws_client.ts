import type { ServerFrame } from "../protocol/frames.ts";

/**
 * A test WebSocket client: frames are queued as they arrive, and `next` waits for the first frame
 * matching a predicate (with a timeout), so tests read as a conversation. Under `rtm.v2` a
 * WebSocket frame may carry several frames, one per line; `batches` counts WebSocket frames.
 */
export class WsClient {
  readonly frames: ServerFrame[] = [];
  batches = 0;
  private waiters: { match: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason }));
    });
    socket.addEventListener("message", (e) => {
      this.batches++;
      const data = e.data as string;
      for (const line of socket.protocol === "rtm.v2" ? data.split("\n") : [data]) {
        const frame = JSON.parse(line) as ServerFrame;
        const i = this.waiters.findIndex((w) => w.match(frame));
        if (i >= 0) this.waiters.splice(i, 1)[0].resolve(frame);
        else this.frames.push(frame);
      }
    });
  }

  static connect(url: string, token?: string, protocols?: string[]): Promise<WsClient> {
    const socket = new WebSocket(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      protocols,
    });
    return new Promise((resolve, reject) => {
      socket.onopen = () => resolve(new WsClient(socket));
      socket.onerror = (e) =>
        reject(new Error(`websocket to ${url} failed: ${(e as ErrorEvent).message}`));
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The first queued or future frame matching `match`; rejects after `timeoutMs`. */
  next<T extends ServerFrame = ServerFrame>(
    match: (f: ServerFrame) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<T> {
    const i = this.frames.findIndex(match);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0] as T);
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        match,
        resolve: (f: ServerFrame) => {
          clearTimeout(timer);
          resolve(f as T);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends a request and waits for the reply carrying the same id. */
  request<T extends ServerFrame = ServerFrame>(
    frame: { id: number | string } & Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<T> {
    this.send(frame);
    return this.next<T>((f) => "id" in f && f.id === frame.id, timeoutMs);
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState <= WebSocket.OPEN) this.socket.close();
    return this.closed;
  }
}
