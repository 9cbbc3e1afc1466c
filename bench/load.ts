import type { AckFrame, ErrorFrame, MessageFrame, ServerFrame } from "../shared/protocol/frames.ts";
import { LatencyHistogram } from "./histogram.ts";
import type { Ledger, SubscriberTrack } from "./ledger.ts";

/** Where the current measurement window records; a scenario swaps in a fresh one per step. */
export class Probe {
  readonly ack = new LatencyHistogram();
  readonly delivery = new LatencyHistogram();
  sent = 0;
  acks = 0;
  errors = 0;
  deliveries = 0;
}

/** The body carries its send time (this process's clock) and pads to a fixed size. */
export function timedBody(size: number): string {
  const stamp = performance.now().toFixed(3);
  return stamp + " " + "x".repeat(Math.max(0, size - stamp.length - 1));
}

function sentAt(body: string): number {
  return parseFloat(body);
}

/** The subprotocols the load generator offers: `rtm.v2` (batched) unless `--protocol=rtm.v1`. */
let offered = ["rtm.v2", "rtm.v1"];
export function offerProtocols(protocols: string[]): void {
  offered = protocols;
}

/**
 * What the load generator needs of a connection: a WebSocket, or a peer's client wrapped to look
 * like one (bench/peers/socketio_client.ts hands over frames already parsed).
 */
export interface FrameSocket {
  readonly protocol: string;
  onmessage: ((e: MessageEvent) => void) | null;
  send(data: string): void;
  close(): void;
}

/** Opens a connection for the load generator: `openSocket` unless a peer needs its own client. */
export type Connect = (url: string, token: string) => Promise<FrameSocket>;

/** The frames of one received frame: under rtm.v2, one JSON frame per line. */
function framesOf(ws: FrameSocket, data: unknown): ServerFrame[] {
  if (typeof data !== "string") return [data as ServerFrame];
  if (ws.protocol !== "rtm.v2") return [JSON.parse(data)];
  return data.split("\n").map((line) => JSON.parse(line));
}

/** Opens a WebSocket with a bearer token; rejects on error or after `timeoutMs`. */
export function openSocket(url: string, token: string, timeoutMs = 15_000): Promise<WebSocket> {
  const ws = new WebSocket(url, {
    headers: { authorization: `Bearer ${token}` },
    protocols: offered,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`websocket to ${url} not open within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.onopen = () => {
      clearTimeout(timer);
      resolve(ws);
    };
    ws.onerror = (e) => {
      clearTimeout(timer);
      reject(new Error(`websocket to ${url} failed: ${(e as ErrorEvent).message}`));
    };
  });
}

/** Runs `make(i)` for i < n with at most `concurrency` in flight. */
export async function inBatches<T>(
  n: number,
  concurrency: number,
  make: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await make(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
  return out;
}

/** An open-loop publisher socket: sends without waiting, matches acks by request id. */
export class Publisher {
  private nextId = 0;
  private readonly pending = new Map<number, { t: number; channel: string; clientMsgId: string }>();

  private constructor(
    private readonly ws: FrameSocket,
    private readonly name: string,
    private readonly ledger: Ledger,
    private readonly probe: () => Probe,
  ) {
    ws.onmessage = (e) => {
      for (const frame of framesOf(ws, e.data)) this.onFrame(frame);
    };
  }

  static async open(
    url: string,
    token: string,
    name: string,
    ledger: Ledger,
    probe: () => Probe,
    connect: Connect = openSocket,
  ): Promise<Publisher> {
    return new Publisher(await connect(url, token), name, ledger, probe);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  publish(channel: string, bodySize: number): void {
    const id = this.nextId++;
    const clientMsgId = `${this.name}-${id}`;
    const body = timedBody(bodySize);
    this.pending.set(id, { t: sentAt(body), channel, clientMsgId });
    this.ws.send(JSON.stringify({ id, type: "publish", channel, clientMsgId, body }));
    this.probe().sent++;
  }

  private onFrame(frame: ServerFrame): void {
    if (frame.type !== "ack" && frame.type !== "error") return;
    const id = (frame as AckFrame | ErrorFrame).id as number;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    const probe = this.probe();
    if (frame.type === "ack") {
      probe.ack.recordMs(performance.now() - p.t);
      probe.acks++;
      this.ledger.ack(p.channel, p.clientMsgId);
    } else {
      probe.errors++;
      this.ledger.publishErrors++;
    }
  }

  close(): void {
    this.ws.close();
  }
}

/** A subscriber socket on one channel: checks seqs and records publish→delivery latency. */
export class Subscriber {
  private track?: SubscriberTrack;

  private constructor(private readonly ws: FrameSocket, private readonly probe: () => Probe) {}

  static async open(
    url: string,
    token: string,
    probe: () => Probe,
    connect: Connect = openSocket,
  ): Promise<Subscriber> {
    return new Subscriber(await connect(url, token), probe);
  }

  /** Subscribes and resolves once `subscribed` arrives; messages then go to the ledger. */
  subscribe(channel: string, ledger: Ledger, witness: boolean, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`subscribe ${channel} timed out`)),
        timeoutMs,
      );
      this.ws.onmessage = (e) => {
        for (const frame of framesOf(this.ws, e.data)) {
          if (frame.type === "message") this.onMessage(frame);
          else if (frame.type === "subscribed") {
            clearTimeout(timer);
            this.track = ledger.subscriber(channel, frame.lastSeq, witness);
            resolve();
          } else if (frame.type === "error") {
            clearTimeout(timer);
            reject(new Error(`subscribe ${channel}: ${frame.code} ${frame.message}`));
          }
        }
      };
      this.ws.send(JSON.stringify({ id: 1, type: "subscribe", channel }));
    });
  }

  /** Messages and events alike go to the ledger (one sequence); only a message's body is a time. */
  private onMessage(m: MessageFrame): void {
    const probe = this.probe();
    if (m.kind === undefined) probe.delivery.recordMs(performance.now() - sentAt(m.body));
    probe.deliveries++;
    this.track!.onMessage(m.seq, m.clientMsgId);
  }

  get lastSeq(): number {
    return this.track?.lastSeq ?? 0;
  }

  close(): void {
    this.ws.close();
  }
}
