/**
 * `deno run -A bench/socket_memory.ts [--sockets=N] [--broadcasts=K] [--only=a,b]`: what an idle
 * server-side WebSocket costs, apart from this project's code. Starts a WebSocket server (a child
 * process, run with --expose-gc) in a few variants, opens N sockets to each (every one sends one
 * frame, as a subscribe would) and prints RSS and JS heap per socket after a full GC; then K
 * broadcasts of one 128-byte message to all of them, one at a time, and the CPU each side spent
 * per socket (the server's from /proc, this process's own), so a loaded machine skews it less
 * than a latency would. The consumer's own figure comes from the bench's connections scenario;
 * `socket-server` is the shared socket layer alone (shared/http, with a stub verifier).
 */
import { createServer } from "node:http";
import process from "node:process";
import { WebSocketServer } from "ws";
import { freePort } from "../shared/net.ts";
import { messageFrame, SharedFrame } from "../shared/protocol/frames.ts";
import type { Session } from "../shared/http/ws_session.ts";
import { stubSocketServer } from "./stub_socket_server.ts";
import { cpuSeconds } from "./cpu.ts";
import { inBatches } from "./load.ts";

const VARIANTS = {
  /** Deno.upgradeWebSocket, no idle timeout, one no-op message handler. */
  bare: { idleTimeout: 0 },
  /** The same with the runtime's idle timeout (a JS timer per socket, re-armed per frame). */
  "idle-timeout": { idleTimeout: 30 },
  /** This project's SocketServer (admission, registry, sender, close, expiry), no-op handlers. */
  "socket-server": undefined,
  /** `node:http` and the npm `ws` library inside Deno (Node's sockets as Deno emulates them). */
  ws: undefined,
} as const;
type Variant = keyof typeof VARIANTS;

const serving = Deno.args.find((a) => a.startsWith("--serve="))?.slice("--serve=".length);
if (serving) serve(serving as Variant, Number(Deno.env.get("PORT")));
else {
  const only = arg("only")?.split(",") as Variant[] | undefined;
  await measure(Number(arg("sockets") ?? 5_000), Number(arg("broadcasts") ?? 5), only);
}

function arg(name: string): string | undefined {
  return Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/** The server's answer to /mem: after a full GC, so only what the sockets hold stays. */
function memory(sockets: number) {
  (globalThis as { gc?: () => void }).gc!();
  const m = Deno.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, sockets };
}

/** One message for every socket, serialized once, as a channel's broadcast is. */
function broadcastFrame(): SharedFrame {
  return new SharedFrame(messageFrame({
    channel: "all",
    seq: 1,
    id: crypto.randomUUID(),
    clientMsgId: "m-1",
    sender: "bench",
    body: "x".repeat(128),
    sentAt: new Date().toISOString(),
  }));
}

function serve(variant: Variant, port: number): void {
  if (variant === "ws") return serveWs(port);
  const sockets = new Set<WebSocket>();
  const sessions = new Set<Session>();
  const server = stubSocketServer("socket-memory");
  Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/mem") return Response.json(memory(sockets.size + sessions.size));
    if (path === "/broadcast") {
      const frame = broadcastFrame();
      for (const s of sockets) s.send(frame.json);
      for (const s of sessions) s.send(frame);
      return new Response(null, { status: 204 });
    }
    const options = VARIANTS[variant];
    if (!options) return server.upgrade(req, { onText: (s) => sessions.add(s) });
    const { socket, response } = Deno.upgradeWebSocket(req, options);
    sockets.add(socket);
    socket.onmessage = () => {};
    socket.onclose = () => sockets.delete(socket);
    return response;
  });
}

function serveWs(port: number): void {
  const http = createServer((req, res) => {
    if (req.url === "/mem") return res.end(JSON.stringify(memory(wss.clients.size)));
    if (req.url !== "/broadcast") return res.writeHead(404).end();
    const json = broadcastFrame().json;
    for (const s of wss.clients) s.send(json);
    res.writeHead(204).end();
  });
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  wss.on("connection", (ws) => ws.on("message", () => {}));
  http.listen(port, "127.0.0.1");
}

async function measure(n: number, broadcasts: number, only?: Variant[]): Promise<void> {
  console.log(`${n} sockets per variant, each sent one frame; per socket:`);
  for (const variant of only ?? Object.keys(VARIANTS) as Variant[]) {
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        new URL(import.meta.url).pathname,
        `--serve=${variant}`,
      ],
      env: { PORT: String(port) },
      stdout: "null",
    }).spawn();
    const get = async (path: string) => {
      for (let i = 0; i < 100; i++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}${path}`);
          return res.status === 204 ? undefined : await res.json();
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error("server did not start");
    };
    const before = await get("/mem");
    let received = 0;
    const sockets = await inBatches(n, 64, async () => {
      const ws = await open(`ws://127.0.0.1:${port}/`);
      ws.onmessage = () => received++;
      ws.send("{}");
      return ws;
    });
    await new Promise((r) => setTimeout(r, 2_000));
    const after = await get("/mem");
    const kib = (bytes: number) => (bytes / n / 1024).toFixed(1);
    let serverCpu = 0;
    let clientCpu = 0;
    for (let b = 1; b <= broadcasts; b++) {
      const server0 = await cpuSeconds(child.pid);
      const client0 = process.cpuUsage();
      await get("/broadcast");
      const deadline = performance.now() + 30_000;
      while (received < b * n && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
      const client = process.cpuUsage(client0);
      clientCpu += (client.user + client.system) / 1e6;
      serverCpu += await cpuSeconds(child.pid) - server0;
    }
    const us = (seconds: number) => (seconds * 1e6 / (n * Math.max(1, broadcasts))).toFixed(1);
    console.log(
      `${variant.padEnd(14)} RSS ${kib(after.rss - before.rss)} KiB, JS heap ` +
        `${kib(after.heap - before.heap)} KiB (${after.sockets} open); broadcast CPU ` +
        `${us(serverCpu)} µs server, ${us(clientCpu)} µs client ` +
        `(${received} of ${broadcasts * n} received)`,
    );
    for (const s of sockets) s.close();
    child.kill();
    await child.status;
  }
}

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers: { authorization: "Bearer x" } });
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error(`websocket to ${url} failed`));
  });
}
