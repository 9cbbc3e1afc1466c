/**
 * `deno run -A bench/socket_memory.ts [--sockets=N]`: where an idle server-side WebSocket's memory
 * goes, apart from this project's code. Starts a bare Deno WebSocket server (a child process, run
 * with --expose-gc) in a few variants, opens N idle sockets to each, and prints RSS and JS heap
 * per socket after a full GC. The consumer's own figure comes from the bench's connections
 * scenario; `socket-server` is the shared socket layer alone (shared/http, with a stub verifier).
 */
import { freePort } from "../shared/net.ts";
import { stubSocketServer } from "./stub_socket_server.ts";
import { inBatches } from "./load.ts";

const VARIANTS = {
  /** Deno.upgradeWebSocket, no idle timeout, one no-op message handler. */
  bare: { idleTimeout: 0 },
  /** The same with the runtime's idle timeout (a JS timer per socket, re-armed per frame). */
  "idle-timeout": { idleTimeout: 30 },
  /** This project's SocketServer (admission, registry, sender, close, expiry), no-op handlers. */
  "socket-server": undefined,
} as const;
type Variant = keyof typeof VARIANTS;

const serving = Deno.args.find((a) => a.startsWith("--serve="))?.slice("--serve=".length);
if (serving) serve(serving as Variant, Number(Deno.env.get("PORT")));
else await measure(Number(arg("sockets") ?? 5_000));

function arg(name: string): string | undefined {
  return Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function serve(variant: Variant, port: number): void {
  const sockets = new Set<WebSocket>();
  const gc = (globalThis as { gc?: () => void }).gc!;
  const server = stubSocketServer("socket-memory");
  Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
    if (new URL(req.url).pathname === "/mem") {
      gc();
      const m = Deno.memoryUsage();
      const open = variant === "socket-server" ? server.size : sockets.size;
      return Response.json({ rss: m.rss, heap: m.heapUsed, sockets: open });
    }
    const options = VARIANTS[variant];
    if (!options) return server.upgrade(req, { onText: () => {} });
    const { socket, response } = Deno.upgradeWebSocket(req, options);
    sockets.add(socket);
    socket.onmessage = () => {};
    socket.onclose = () => sockets.delete(socket);
    return response;
  });
}

async function measure(n: number): Promise<void> {
  console.log(`${n} idle sockets per variant; per socket, after a full GC:`);
  for (const variant of Object.keys(VARIANTS) as Variant[]) {
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
    const mem = async () => {
      for (let i = 0; i < 100; i++) {
        try {
          return await (await fetch(`http://127.0.0.1:${port}/mem`)).json();
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error("server did not start");
    };
    const before = await mem();
    const sockets = await inBatches(n, 64, () => open(`ws://127.0.0.1:${port}/`));
    await new Promise((r) => setTimeout(r, 2_000));
    const after = await mem();
    const kib = (bytes: number) => (bytes / n / 1024).toFixed(1);
    console.log(
      `${variant.padEnd(14)} RSS ${kib(after.rss - before.rss)} KiB, JS heap ` +
        `${kib(after.heap - before.heap)} KiB (${after.sockets} open)`,
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
