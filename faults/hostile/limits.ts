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
 * A flood of connections past the per-user cap: the ones past it are refused with a typed error,
 * the server stays healthy, and the slots come back once the sockets close.
 */
export async function checkConnectionFlood(
  baseUrl: string,
  token: string,
  perUserCap: number,
): Promise<{ inputs: number; violations: string[] }> {
  const violations: string[] = [];
  const extra = 10;
  const sockets: WebSocket[] = [];
  const results = await Promise.all(
    Array.from({ length: perUserCap + extra }, () => {
      const socket = new WebSocket(wsUrl(baseUrl), {
        headers: { authorization: `Bearer ${token}` },
      });
      sockets.push(socket);
      return new Promise<boolean>((resolve) => {
        socket.onopen = () => resolve(true);
        socket.onerror = () => resolve(false);
      });
    }),
  );
  const opened = results.filter(Boolean).length;
  if (opened !== perUserCap) {
    violations.push(`${baseUrl}: ${opened} sockets opened, cap ${perUserCap}`);
  }
  const refused = await fetch(`${baseUrl}/v1/ws`, {
    headers: { upgrade: "websocket", connection: "upgrade", authorization: `Bearer ${token}` },
  });
  const breach = await httpContractBreach(refused);
  if (breach || refused.status !== 429) {
    violations.push(`${baseUrl}: an upgrade past the cap got ${refused.status} ${breach ?? ""}`);
  }
  await Promise.all(
    sockets.map((s) =>
      s.readyState === WebSocket.CLOSED ? undefined : new Promise((resolve) => {
        s.addEventListener("close", resolve);
        s.close();
      })
    ),
  );
  const health = await fetch(`${baseUrl}/health`);
  await health.body?.cancel();
  if (!health.ok) violations.push(`${baseUrl}/health is ${health.status} after the flood`);
  // The slots are free again (the server's close handler runs just after ours).
  let again: FrameProbe | undefined;
  for (let i = 0; i < 20 && !again; i++) {
    again = await FrameProbe.open(wsUrl(baseUrl), token).catch(() => undefined);
    if (!again) await new Promise((r) => setTimeout(r, 100));
  }
  if (!again) violations.push(`${baseUrl}: no socket opens after the flood closed`);
  await again?.close();
  return { inputs: perUserCap + extra + 1, violations };
}
