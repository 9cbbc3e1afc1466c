import assert from "node:assert/strict";
import type { AcceptedMessage } from "../../shared/domain/message.ts";
import type { MessageFrame, ServerFrame, SubscribedFrame } from "../../shared/protocol/frames.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";

/**
 * A subscriber that checks the delivery contract as frames arrive: per channel, every message's
 * seq must be exactly the previous one + 1. Any duplicate, gap or reordering is recorded as a
 * violation, so a test only has to wait for the expected head and assert there were none.
 */
export class Reader {
  /** channel → last seq seen. */
  readonly last = new Map<string, number>();
  readonly messages = new Map<string, MessageFrame[]>();
  readonly violations: string[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly client: WsClient) {
    client.socket.addEventListener("message", (e) => {
      const frame = JSON.parse(e.data as string) as ServerFrame;
      if (frame.type !== "message") return;
      const last = this.last.get(frame.channel) ?? 0;
      if (frame.seq !== last + 1) {
        this.violations.push(`${frame.channel}: got seq ${frame.seq} after ${last}`);
      }
      this.last.set(frame.channel, Math.max(last, frame.seq));
      const list = this.messages.get(frame.channel) ?? [];
      list.push(frame);
      this.messages.set(frame.channel, list);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Connects and subscribes to each channel (from `since[channel]` when given). */
  static async open(
    url: string,
    token: string,
    channels: string[],
    since: Record<string, number> = {},
  ): Promise<Reader> {
    const reader = new Reader(await WsClient.connect(url, token));
    for (const [i, channel] of channels.entries()) {
      if (since[channel] !== undefined) reader.last.set(channel, since[channel]);
      const reply = await reader.client.request<SubscribedFrame>({
        id: `sub-${i}`,
        type: "subscribe",
        channel,
        ...(since[channel] !== undefined ? { since: since[channel] } : {}),
      });
      if (reply.type !== "subscribed") throw new Error(`subscribe: ${JSON.stringify(reply)}`);
      if (since[channel] === undefined) reader.last.set(channel, reply.lastSeq);
    }
    // The WsClient keeps unclaimed frames for `next`; this reader tracks messages itself.
    reader.client.socket.addEventListener("message", () => {
      const frames = reader.client.frames;
      for (let i = frames.length - 1; i >= 0; i--) {
        if (frames[i].type === "message") frames.splice(i, 1);
      }
    });
    return reader;
  }

  /** Resolves once every channel has reached its expected seq; rejects after `timeoutMs`. */
  async waitFor(expected: Record<string, number>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const done = () => Object.entries(expected).every(([c, seq]) => (this.last.get(c) ?? 0) >= seq);
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        const got = Object.fromEntries(Object.keys(expected).map((c) => [c, this.last.get(c)]));
        throw new Error(`reader got ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<unknown> {
    return this.client.close();
  }
}

/**
 * Publishes `count` messages on one producer connection, keeping up to `window` unacknowledged,
 * as a well-behaved client does; an UNAVAILABLE reply is retried with the same clientMsgId (the
 * protocol's contract). Returns how many went to each channel. Any other error fails.
 */
export async function publishMany(
  producerWs: string,
  token: string,
  count: number,
  channelOf: (i: number) => string,
  opts: { bodyBytes?: number; prefix?: string; window?: number } = {},
): Promise<Record<string, number>> {
  const client = await WsClient.connect(producerWs, token);
  const prefix = opts.prefix ?? crypto.randomUUID().slice(0, 8);
  const pad = "x".repeat(opts.bodyBytes ?? 0);
  const window = opts.window ?? 200;
  const perChannel: Record<string, number> = {};
  let acked = 0;
  let next = 0;
  let failure: string | undefined;
  let wake: (() => void) | undefined;
  const send = (i: number) =>
    client.send({
      id: i,
      type: "publish",
      channel: channelOf(i),
      clientMsgId: `${prefix}-${i}`,
      body: `${prefix} ${i} ${pad}`,
    });
  client.socket.addEventListener("message", (e) => {
    const frame = JSON.parse(e.data as string) as ServerFrame;
    if (frame.type === "ack") acked++;
    else if (frame.type === "error" && frame.code === "UNAVAILABLE") send(frame.id as number);
    else failure ??= JSON.stringify(frame);
    client.frames.splice(0);
    wake?.();
  });
  const deadline = Date.now() + 60_000;
  while (acked < count && !failure) {
    while (next < count && next - acked < window) {
      const channel = channelOf(next);
      perChannel[channel] = (perChannel[channel] ?? 0) + 1;
      send(next++);
    }
    if (Date.now() > deadline) throw new Error(`only ${acked} of ${count} acked`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 200);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  await client.close();
  if (failure) throw new Error(`publish failed: ${failure}`);
  return perChannel;
}

/** Adds up per-channel counts. */
export function addCounts(...counts: Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const c of counts) for (const [k, v] of Object.entries(c)) total[k] = (total[k] ?? 0) + v;
  return total;
}

/** An HTTP call with a bearer token and a JSON body; returns status and parsed body. */
export async function api(
  base: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  // deno-lint-ignore no-explicit-any
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * A WebSocket peer that stops reading: a raw TCP connection that does the upgrade and sends
 * frames, then leaves everything the server sends in the kernel's buffers until `closeCode`
 * reads it all to find the server's close frame.
 */
export class StalledSocket {
  private constructor(private readonly conn: Deno.TcpConn, private rest: Uint8Array) {}

  static async open(url: string, token: string): Promise<StalledSocket> {
    const { hostname, port, pathname } = new URL(url);
    const conn = await Deno.connect({ hostname, port: Number(port) });
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    await conn.write(new TextEncoder().encode(
      `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
        `Authorization: Bearer ${token}\r\n\r\n`,
    ));
    let head: Uint8Array = new Uint8Array(0);
    while (true) {
      const buf = new Uint8Array(4096);
      const n = await conn.read(buf);
      if (n === null) throw new Error("closed during upgrade");
      head = concat(head, buf.subarray(0, n));
      const text = new TextDecoder().decode(head);
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) continue;
      if (!text.startsWith("HTTP/1.1 101")) throw new Error(`upgrade refused: ${text}`);
      return new StalledSocket(conn, head.subarray(end + 4));
    }
  }

  /** Sends one masked text frame (clients must mask). */
  async send(frame: unknown): Promise<void> {
    const payload = new TextEncoder().encode(JSON.stringify(frame));
    if (payload.length > 125) throw new Error("test frames stay small");
    const mask = crypto.getRandomValues(new Uint8Array(4));
    const out = new Uint8Array(6 + payload.length);
    out.set([0x81, 0x80 | payload.length, ...mask]);
    payload.forEach((b, i) => out[6 + i] = b ^ mask[i % 4]);
    await this.conn.write(out);
  }

  /** Reads (and discards) everything until the server's close frame; returns its code. */
  async closeCode(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let buf: Uint8Array = this.rest;
    const chunk = new Uint8Array(256 * 1024);
    while (Date.now() < deadline) {
      // Parse whole frames: FIN/opcode, then a 7-, 16- or 64-bit length (servers never mask).
      while (buf.length >= 2) {
        const opcode = buf[0] & 0x0f;
        let len = buf[1] & 0x7f;
        let offset = 2;
        if (len === 126) {
          if (buf.length < 4) break;
          len = (buf[2] << 8) | buf[3];
          offset = 4;
        } else if (len === 127) {
          if (buf.length < 10) break;
          len = Number(new DataView(buf.buffer, buf.byteOffset + 2, 8).getBigUint64(0));
          offset = 10;
        }
        if (buf.length < offset + len) break;
        if (opcode === 0x8) {
          this.conn.close();
          return (buf[offset] << 8) | buf[offset + 1];
        }
        buf = buf.subarray(offset + len);
      }
      const n = await this.conn.read(chunk);
      if (n === null) break;
      buf = concat(buf, chunk.subarray(0, n));
    }
    this.conn.close();
    throw new Error("no close frame from the server");
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A metric's value; a missing one fails (NaN would pass `before + 1 === after` as NaN twice). */
export async function metricValue(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  const value = Number(line?.split(" ").at(-1));
  assert.ok(Number.isFinite(value), `${base}/metrics has no ${name}`);
  return value;
}

let counter = 0;

/** A message as the producer accepted it, from `sender` to `channel`, with a fresh clientMsgId. */
export function acceptedMessage(
  sender: string,
  channel: string,
  clientMsgId = `m${++counter}`,
): AcceptedMessage {
  return {
    id: crypto.randomUUID(),
    channel,
    clientMsgId,
    sender,
    body: `body of ${clientMsgId}`,
    sentAt: new Date().toISOString(),
  };
}
