import { wsUrl } from "../../shared/testing/system.ts";
import { FrameProbe } from "./ws_frames.ts";
import { HOSTILE_CHANNELS, httpContractBreach } from "./typed_error.ts";

const ONE_MIB = 1024 * 1024;

/**
 * SQL-looking and NATS-wildcard channel names are INVALID on every surface (so none can reach a
 * query string or a subject), and the socket stays open.
 */
export async function checkHostileChannels(
  urls: { producer: string; consumer: string },
  token: string,
): Promise<{ inputs: number; violations: string[] }> {
  const violations: string[] = [];
  let inputs = 0;
  const producer = await FrameProbe.open(wsUrl(urls.producer), token);
  const consumer = await FrameProbe.open(wsUrl(urls.consumer), token);
  try {
    for (const channel of HOSTILE_CHANNELS) {
      const frames: [FrameProbe, Record<string, unknown>][] = [
        [producer, {
          id: 1,
          type: "publish",
          channel,
          clientMsgId: crypto.randomUUID(),
          body: "x",
        }],
        [consumer, { id: 1, type: "subscribe", channel }],
        [consumer, { id: 1, type: "unsubscribe", channel }],
      ];
      for (const [probe, frame] of frames) {
        inputs++;
        const replies = await probe.exchange(JSON.stringify(frame));
        if (replies.length !== 1 || replies[0].code !== "INVALID") {
          violations.push(
            `${frame.type} to ${JSON.stringify(channel)}: ${JSON.stringify(replies)}`,
          );
        }
      }
      const path = `/v1/channels/${encodeURIComponent(channel)}/messages`;
      for (
        const [url, init] of [
          [`${urls.producer}${path}`, {
            method: "POST",
            body: JSON.stringify({ clientMsgId: crypto.randomUUID(), body: "x" }),
          }],
          [`${urls.consumer}${path}`, {}],
        ] as [string, RequestInit][]
      ) {
        inputs++;
        const res = await fetch(url, {
          ...init,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        });
        const breach = await httpContractBreach(res);
        // An empty or slash-bearing name does not route at all (404); every other one is INVALID.
        if (breach || (res.status !== 400 && res.status !== 404)) {
          violations.push(`${init.method ?? "GET"} ${url}: ${res.status} ${breach ?? ""}`);
        }
      }
    }
  } finally {
    await Promise.all([producer.close(), consumer.close()]);
  }
  return { inputs, violations };
}

/**
 * A body over the limit is TOO_LARGE with the socket kept; a binary frame is INVALID; a frame
 * over 1 MiB closes the socket with a 4000-range code and a reason.
 */
export async function checkFrameSizes(
  urls: { producer: string; consumer: string },
  token: string,
): Promise<{ inputs: number; violations: string[] }> {
  const violations: string[] = [];
  const producer = await FrameProbe.open(wsUrl(urls.producer), token);
  const big = {
    id: 1,
    type: "publish",
    channel: "general",
    clientMsgId: crypto.randomUUID(),
    body: "x".repeat(64 * 1024),
  };
  const tooLarge = await producer.exchange(JSON.stringify(big));
  if (tooLarge[0]?.code !== "TOO_LARGE" || producer.closed) {
    violations.push(`a 64 KiB body: ${JSON.stringify(tooLarge).slice(0, 200)}`);
  }
  const binary = await producer.exchange(new Uint8Array(1024));
  if (binary[0]?.code !== "INVALID") violations.push(`a binary frame: ${JSON.stringify(binary)}`);
  await producer.close();
  for (const base of [urls.producer, urls.consumer]) {
    const probe = await FrameProbe.open(wsUrl(base), token);
    // Alone: a frame sent right behind it can make the server drop the TCP connection before the
    // close frame reaches the client (seen with Deno's server; reported, not worked around).
    await probe.sendAndAwaitClose("x".repeat(ONE_MIB + 1));
    await probe.close();
    const { code = 0, reason = "" } = probe.closed ?? {};
    if (code < 4000 || code > 4999 || !reason) {
      violations.push(`${base}: a frame over 1 MiB closed the socket with ${code} "${reason}"`);
    }
  }
  return { inputs: 4, violations };
}

/**
 * A flood of connections past the per-user cap: exactly the cap stays open, the rest are closed at
 * once with a 4000-range code and a reason (browsers see close codes, not refused upgrades); a
 * malformed handshake gets a typed 400; the service stays healthy and the slots come back.
 */
export async function checkConnectionFlood(
  baseUrl: string,
  token: string,
  perUserCap: number,
): Promise<{ inputs: number; violations: string[] }> {
  const violations: string[] = [];
  const extra = 10;
  const sockets = Array.from(
    { length: perUserCap + extra },
    () => new WebSocket(wsUrl(baseUrl), { headers: { authorization: `Bearer ${token}` } }),
  );
  const closes = sockets.map((s) =>
    new Promise<CloseEvent>((resolve) => s.addEventListener("close", resolve))
  );
  const refusedCloses: CloseEvent[] = [];
  closes.forEach((c) => c.then((e) => refusedCloses.push(e)));
  // Every socket either opened or closed by now; the ones over the cap are closed at once.
  await new Promise((r) => setTimeout(r, 2_000));
  const open = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
  if (open !== perUserCap) {
    violations.push(`${baseUrl}: ${open} sockets stayed open, cap ${perUserCap}`);
  }
  const untyped = refusedCloses.filter((e) => e.code < 4000 || e.code > 4999 || !e.reason);
  if (refusedCloses.length !== extra || untyped.length) {
    violations.push(
      `${baseUrl}: ${refusedCloses.length} sockets over the cap closed, codes ${
        [...new Set(refusedCloses.map((e) => `${e.code} ${e.reason}`))].join(", ")
      }`,
    );
  }
  const malformed = await fetch(`${baseUrl}/v1/ws`, {
    headers: { upgrade: "websocket", connection: "upgrade", authorization: `Bearer ${token}` },
  });
  const breach = await httpContractBreach(malformed);
  if (breach || malformed.status !== 400) {
    violations.push(`${baseUrl}: an upgrade without a key got ${malformed.status} ${breach ?? ""}`);
  }
  for (const s of sockets) s.close();
  await Promise.all(closes);
  const health = await fetch(`${baseUrl}/health`);
  await health.body?.cancel();
  if (!health.ok) violations.push(`${baseUrl}/health is ${health.status} after the flood`);
  // The slots are free again (the server's close handler runs just after ours).
  let again: FrameProbe | undefined;
  for (let i = 0; i < 20 && !again; i++) {
    const probe = await FrameProbe.open(wsUrl(baseUrl), token).catch(() => undefined);
    await probe?.exchange(JSON.stringify({ id: 1, type: "ping" })).catch(() => []);
    if (probe && !probe.closed) again = probe;
    else await new Promise((r) => setTimeout(r, 100));
  }
  if (!again) violations.push(`${baseUrl}: no socket stays open after the flood closed`);
  await again?.close();
  return { inputs: perUserCap + extra + 1, violations };
}
