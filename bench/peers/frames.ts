/** A publish as both peers see it: the subset of this project's publish frame they use. */
export interface PeerPublish {
  id: number;
  channel: string;
  clientMsgId: string;
  body: string;
}

/** The message frame a peer fans out for a publish given `seq`, and the ack it answers with. */
export function relayed(f: PeerPublish, seq: number) {
  return {
    message: {
      type: "message",
      channel: f.channel,
      seq,
      id: `${f.channel}-${seq}`,
      clientMsgId: f.clientMsgId,
      sender: "peer",
      body: f.body,
      sentAt: new Date().toISOString(),
    },
    ack: { id: f.id, type: "ack", channel: f.channel, clientMsgId: f.clientMsgId, streamSeq: seq },
  };
}

/** The answer to a subscribe: every message after `lastSeq` will follow (no history). */
export function subscribed(f: { id: number; channel: string }, lastSeq: number) {
  return { id: f.id, type: "subscribed", channel: f.channel, lastSeq, recovered: true };
}
