/**
 * The Socket.IO 4.8 server the bench compares against (`PORT` env), WebSocket transport only:
 * a room per channel, `publish` emitted to the room (Socket.IO encodes it once for the room) and
 * acknowledged through the emit's callback, a per-channel seq for the bench's correctness ledger.
 * In memory, no authentication, no storage. GET /facts gives each channel's last seq.
 */
import { createServer } from "node:http";
import { Server, type Socket } from "socket.io";

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
    const lastSeq = seqs.get(f.channel) ?? 0;
    reply({ id: f.id, type: "subscribed", channel: f.channel, lastSeq, recovered: true });
  });
  socket.on(
    "publish",
    (f: { id: number; channel: string; clientMsgId: string; body: string }, reply: Reply) => {
      const seq = (seqs.get(f.channel) ?? 0) + 1;
      seqs.set(f.channel, seq);
      io.to(f.channel).emit("message", {
        type: "message",
        channel: f.channel,
        seq,
        id: `${f.channel}-${seq}`,
        clientMsgId: f.clientMsgId,
        sender: "peer",
        body: f.body,
        sentAt: new Date().toISOString(),
      });
      reply({
        id: f.id,
        type: "ack",
        channel: f.channel,
        clientMsgId: f.clientMsgId,
        streamSeq: seq,
      });
    },
  );
});
http.listen(Number(Deno.env.get("PORT")), "127.0.0.1");
