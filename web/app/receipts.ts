import type { Message } from "../sdk/mod.ts";

/**
 * The seq to mark "Seen" in a DM: the newest loaded message the other user has read, when it is
 * one of `me`'s (a reply of theirs says more than a mark could).
 */
export function seenSeq(messages: Message[], peerReadSeq: number, me: string): number | undefined {
  let newest: Message | undefined;
  for (const m of messages) if (m.seq <= peerReadSeq && (!newest || m.seq > newest.seq)) newest = m;
  return newest?.sender === me ? newest.seq : undefined;
}

/**
 * Unread after the read marker moved to `readSeq` on another tab: never more than before (the
 * page counts only others' messages), never more than what follows the marker.
 */
export function unreadAfterRead(unread: number, lastSeq: number, readSeq: number): number {
  return Math.min(unread, Math.max(0, lastSeq - readSeq));
}
