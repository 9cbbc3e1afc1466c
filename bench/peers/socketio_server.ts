/**
 * The Socket.IO 4.8 server the bench compares against (`PORT` env), WebSocket transport only:
 * a room per channel, `publish` emitted to the room (Socket.IO encodes it once for the room) and
 * acknowledged through the emit's callback, a per-channel seq for the bench's correctness ledger.
 * In memory, no authentication, no storage. GET /facts gives each channel's last seq.
 */
import { createServer } from "node:http";
import { Server, type Socket } from "socket.io";
import { type PeerPublish, relayed, subscribed } from "./frames.ts";

const seqs = new Map<string, number>();
type Reply = (frame: unknown) => void;

const http = createServer((req, res) => {
  if (req.url !== "/facts") return res.writeHead(404).end();
  res.writeHead(200, { "content-type": "application/json" })
    .end(JSON.stringify(Object.fromEntries(seqs)));
});
const io = new Server(http, { transports: ["websocket"], serveClient: false });
io.on("connection", (socket: Socket) => {
  socket.on("subscribe", (f: { id: number; channel: string }, reply: Reply) => {
    socket.join(f.channel);
    reply(subscribed(f, seqs.get(f.channel) ?? 0));
  });
  socket.on("publish", (f: PeerPublish, reply: Reply) => {
    const seq = (seqs.get(f.channel) ?? 0) + 1;
    seqs.set(f.channel, seq);
    const { message, ack } = relayed(f, seq);
    io.to(f.channel).emit("message", message);
    reply(ack);
  });
});
http.listen(Number(Deno.env.get("PORT")), "127.0.0.1");
