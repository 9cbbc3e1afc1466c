// Plain JavaScript, so the peers run on Node (as a team picking them would) or on Deno.

/**
 * The message frame a peer fans out for a publish given `seq`, and the ack it answers with.
 * @param {{ id: number, channel: string, clientMsgId: string, body: string }} f
 * @param {number} seq
 */
export function relayed(f, seq) {
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

/**
 * The answer to a subscribe: every message after `lastSeq` will follow (no history).
 * @param {{ id: number, channel: string }} f
 * @param {number} lastSeq
 */
export function subscribed(f, lastSeq) {
  return { id: f.id, type: "subscribed", channel: f.channel, lastSeq, recovered: true };
}
