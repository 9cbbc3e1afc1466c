import { io, type Socket } from "socket.io-client";
import type { FrameSocket } from "../load.ts";

/**
 * A Socket.IO client that looks like the load generator's WebSocket: a frame sent is emitted as
 * the event of its `type` with the reply as its ack; replies and `message` events come back as
 * already parsed frames (Socket.IO parses them itself).
 */
class SocketIoFrames implements FrameSocket {
  readonly protocol = "socket.io";
  onmessage: ((e: MessageEvent) => void) | null = null;

  constructor(private readonly socket: Socket) {
    socket.on("message", (m: unknown) => this.deliver(m));
  }

  send(data: string): void {
    const frame = JSON.parse(data);
    this.socket.emit(frame.type, frame, (reply: unknown) => this.deliver(reply));
  }

  close(): void {
    this.socket.disconnect();
  }

  private deliver(frame: unknown): void {
    this.onmessage?.(new MessageEvent("message", { data: frame }));
  }
}

/** Connects over the WebSocket transport only, as the server allows. */
export function openSocketIo(url: string): Promise<FrameSocket> {
  const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(new SocketIoFrames(socket)));
    socket.once("connect_error", (err: Error) => reject(err));
  });
}
