import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { brokerNames } from "../../shared/broker/subjects.ts";
import type { AcceptedMessage } from "../../shared/domain/message.ts";
import type { AckFrame, ErrorFrame, ServerFrame } from "../../shared/protocol/frames.ts";
import type { WsClient } from "../../shared/testing/ws_client.ts";

const decoder = new TextDecoder();

/** Every message in a namespace's stream, read straight from JetStream, in stream order. */
export async function streamMessages(
  natsUrl: string,
  namespace: string,
): Promise<{ seq: number; subject: string; message: AcceptedMessage }[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const stream = brokerNames(namespace).stream;
    const { state } = await jsm.streams.info(stream);
    const out = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (m) out.push({ seq, subject: m.subject, message: JSON.parse(decoder.decode(m.data)) });
    }
    return out;
  } finally {
    await nc.close();
  }
}

export type Reply = AckFrame | ErrorFrame;

/** Sends `frames` at once and collects their replies in arrival order; throws on a missing one. */
export async function sendAll(
  client: WsClient,
  frames: ({ id: number | string } & Record<string, unknown>)[],
  timeoutMs = 15_000,
): Promise<Reply[]> {
  const ids = new Set(frames.map((f) => f.id));
  const replies: Reply[] = [];
  const collecting = Promise.allSettled(
    frames.map(() =>
      client.next<Reply>((f: ServerFrame) => "id" in f && ids.has(f.id!), timeoutMs)
        .then((r) => void replies.push(r))
    ),
  );
  for (const f of frames) client.send(f);
  await collecting;
  if (replies.length < frames.length) {
    throw new Error(
      `${replies.length} of ${frames.length} replies: ${JSON.stringify(countCodes(replies))}`,
    );
  }
  return replies;
}

export function publishFrames(channel: string, n: number, prefix = crypto.randomUUID()) {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    type: "publish",
    channel,
    clientMsgId: `${prefix}-${i + 1}`,
    body: `message ${i + 1}`,
  }));
}

export function countCodes(replies: Reply[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of replies) {
    const key = r.type === "ack" ? "ack" : r.code;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** A fresh channel id. */
export function channelName(prefix = "c"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}
