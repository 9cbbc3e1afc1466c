/**
 * The bare `ws` relay the bench compares against (`PORT` env): what a TypeScript team would write
 * without durability. It speaks the subset of this project's protocol the load generator uses
 * (subscribe → subscribed, publish → ack, message frames with a per-channel seq), in memory, no
 * authentication, no storage: an ack only says the relay has fanned the message out. GET /facts
 * gives each channel's last seq, for the bench's correctness ledger.
 */
import { createServer } from "node:http";
import process from "node:process";
import { WebSocketServer } from "ws";
import { relayed, subscribed } from "./frames.mjs";

/** @type {Map<string, { seq: number, subscribers: Set<import("ws").WebSocket> }>} */
const channels = new Map();
/** @param {string} id */
const channelOf = (id) => {
  let c = channels.get(id);
  if (!c) channels.set(id, c = { seq: 0, subscribers: new Set() });
  return c;
};

const http = createServer((req, res) => {
  if (req.url !== "/facts") return res.writeHead(404).end();
  const facts = Object.fromEntries([...channels].map(([id, c]) => [id, c.seq]));
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(facts));
});
const wss = new WebSocketServer({ server: http });
wss.on("connection", (ws) => {
  /** @type {Set<string>} */
  const mine = new Set();
  ws.on("message", (data) => {
    const f = JSON.parse(String(data));
    if (f.type === "subscribe") {
      const c = channelOf(f.channel);
      c.subscribers.add(ws);
      mine.add(f.channel);
      ws.send(JSON.stringify(subscribed(f, c.seq)));
    } else if (f.type === "publish") {
      const c = channelOf(f.channel);
      const { message, ack } = relayed(f, ++c.seq);
      const json = JSON.stringify(message);
      for (const s of c.subscribers) s.send(json);
      ws.send(JSON.stringify(ack));
    }
  });
  ws.on("close", () => {
    for (const id of mine) channels.get(id)?.subscribers.delete(ws);
  });
});
http.listen(Number(process.env.PORT), "127.0.0.1");
