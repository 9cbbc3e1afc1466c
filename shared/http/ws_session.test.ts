import assert from "node:assert/strict";
import { createLogger, setLogLevel } from "../logging/logger.ts";
import { SocketServer } from "./ws_session.ts";

Deno.test("socket server: concurrent upgrades of one user cannot overshoot the cap", async () => {
  setLogLevel("warn");
  // Every verification completes at the same moment (as WebCrypto results landing in one turn
  // do), so the upgrades' continuations interleave before any socket is registered.
  const N = 12;
  let release: () => void;
  const gate = new Promise<void>((r) => release = r);
  let pending = 0;
  const sockets = new SocketServer(
    {
      verify: async () => {
        if (++pending === N) release();
        await gate;
        return { userId: "u", issuedAt: 0, expiresAt: 2 ** 40 };
      },
    },
    { maxFrameBytes: 1024, maxConnections: 100, maxConnectionsPerUser: 5, maxBufferedBytes: 1e6 },
    createLogger({ test: "cap" }),
  );
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    (req) => sockets.upgrade(req, { onText: () => {} }),
  );
  const url = `ws://127.0.0.1:${server.addr.port}/`;
  const clients = Array.from({ length: N }, () => {
    const ws = new WebSocket(url, { headers: { authorization: "Bearer t" } });
    const closed = new Promise<number>((r) => ws.onclose = (e) => r(e.code));
    const opened = new Promise<void>((r) => ws.onopen = () => r());
    return { ws, closed, opened };
  });
  await Promise.all(clients.map((c) => c.opened));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(sockets.size, 5);
  const refused = clients.filter((c) => c.ws.readyState !== WebSocket.OPEN);
  assert.equal(refused.length, 7);
  for (const c of refused) assert.equal(await c.closed, 4030);
  await sockets.closeAll("test over", 2_000);
  await Promise.all(clients.map((c) => c.closed));
  await server.shutdown();
});
