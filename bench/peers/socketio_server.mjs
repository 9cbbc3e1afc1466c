/**
 * The Socket.IO 4.8 server the bench compares against (`PORT` env), WebSocket transport only:
 * a room per channel, `publish` emitted to the room (Socket.IO encodes it once for the room) and
 * acknowledged through the emit's callback, a per-channel seq for the bench's correctness ledger.
 * In memory, no authentication, no storage. GET /facts gives each channel's last seq.
 */
import { createServer } from "node:http";
import process from "node:process";
import { Server } from "socket.io";
import { relayed, subscribed } from "./frames.mjs";

/** @type {Map<string, number>} */
const seqs = new Map();

const http = createServer((req, res) => {
  if (req.url !== "/facts") return res.writeHead(404).end();
  res.writeHead(200, { "content-type": "application/json" })
    .end(JSON.stringify(Object.fromEntries(seqs)));
});
const io = new Server(http, { transports: ["websocket"], serveClient: false });
io.on("connection", (socket) => {
  socket.on("subscribe", (f, reply) => {
    socket.join(f.channel);
    reply(subscribed(f, seqs.get(f.channel) ?? 0));
  });
  socket.on("publish", (f, reply) => {
    const seq = (seqs.get(f.channel) ?? 0) + 1;
    seqs.set(f.channel, seq);
    const { message, ack } = relayed(f, seq);
    io.to(f.channel).emit("message", message);
    reply(ack);
  });
});
http.listen(Number(process.env.PORT), "127.0.0.1");
