import fc from "fast-check";
import { checkProperty } from "./fuzz.ts";
import { frameContractBreach, HOSTILE_CHANNELS } from "./typed_error.ts";

const REPLY_TIMEOUT_MS = 5_000;

/**
 * A socket that sends one frame, then a ping, and returns every frame the server sent back before
 * the pong: the server's whole answer to that frame. A close is reported, not thrown.
 */
export class FrameProbe {
  private inbox: Record<string, unknown>[] = [];
  private wake?: () => void;
  private syncs = 0;
  closed?: { code: number; reason: string };

  private constructor(private readonly socket: WebSocket) {
    socket.onmessage = (e) => {
      this.inbox.push(JSON.parse(e.data as string));
      this.wake?.();
    };
    socket.onclose = (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.wake?.();
    };
  }

  static open(url: string, token: string): Promise<FrameProbe> {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    return new Promise((resolve, reject) => {
      socket.onopen = () => resolve(new FrameProbe(socket));
      socket.onerror = () => reject(new Error(`cannot open ${url}`));
    });
  }

  /** Sends `data` as is, then a ping; resolves with the replies before the pong. */
  async exchange(data: string | Uint8Array): Promise<Record<string, unknown>[]> {
    const syncId = `sync-${++this.syncs}`;
    this.socket.send(data);
    this.socket.send(JSON.stringify({ id: syncId, type: "ping" }));
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    while (true) {
      const i = this.inbox.findIndex((f) => f.type === "pong" && f.id === syncId);
      if (i >= 0) return this.inbox.splice(0, i + 1).slice(0, i);
      if (this.closed) return this.inbox.splice(0);
      if (Date.now() > deadline) throw new Error("no pong: the socket stopped answering");
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
  }

  /** Sends `data` alone and waits for the server to close the socket (or `timeoutMs`). */
  async sendAndAwaitClose(data: string, timeoutMs = REPLY_TIMEOUT_MS): Promise<void> {
    this.socket.send(data);
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.addEventListener("close", () => resolve());
      this.socket.close();
    });
  }
}

const anyField = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue(),
);
const channel = fc.oneof(fc.constantFrom(...HOSTILE_CHANNELS), fc.string(), anyField);

/** Frames that are nearly right: real types and fields, each value possibly wrong or missing. */
const nearlyValid = fc.record({
  id: fc.oneof(fc.integer(), fc.string({ maxLength: 80 }), anyField),
  type: fc.oneof(fc.constantFrom("publish", "subscribe", "unsubscribe", "ping"), fc.string()),
  channel,
  clientMsgId: fc.oneof(fc.uuid(), fc.string({ maxLength: 300 }), anyField),
  body: fc.oneof(fc.string(), fc.string({ minLength: 17_000, maxLength: 20_000 }), anyField),
  since: fc.oneof(fc.integer(), fc.double(), fc.bigInt().map(String), anyField),
}, { requiredKeys: [] }).map((o) => JSON.stringify(o));

/** Any text a client could send: raw strings, arbitrary JSON, or nearly valid frames. */
export const hostileFrame = fc.oneof(
  fc.string({ maxLength: 2_000 }),
  fc.json(),
  nearlyValid,
  fc.uint8Array({ maxLength: 256 }),
);

/**
 * Fuzzes one service's WebSocket: every answer is a typed error or a normal reply, the socket
 * keeps answering, and it is closed only with a 4000-range code and a reason.
 */
export async function fuzzFrames(
  url: string,
  token: string,
  numRuns: number,
): Promise<{ inputs: number; violations: string[] }> {
  let probe = await FrameProbe.open(url, token);
  let inputs = 0;
  const violations: string[] = [];
  try {
    const failure = await checkProperty(hostileFrame, async (frame) => {
      inputs++;
      const replies = await probe.exchange(frame);
      for (const r of replies) {
        const breach = frameContractBreach(r);
        if (breach) throw new Error(breach);
      }
      if (probe.closed) {
        const { code, reason } = probe.closed;
        if (code < 4000 || code > 4999 || !reason) {
          throw new Error(`socket closed with ${code} "${reason}"`);
        }
        probe = await FrameProbe.open(url, token);
      }
    }, numRuns);
    if (failure) violations.push(`${url}: ${failure}`);
  } finally {
    await probe.close();
  }
  return { inputs, violations };
}
