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
 * A channel's unread messages as the page knows them: the server's count of messages after the
 * read marker when it listed the channel (up to its last seq then, `listedUpTo`), and the seqs of
 * others' messages received since. Edits, deletes and reactions are never unread.
 */
export interface Unread {
  listed: number;
  listedUpTo: number;
  live: number[];
}

export function unreadCount(u: Unread): number {
  return u.listed + u.live.length;
}

/**
 * Unread after the read marker moved to `readSeq` on another tab. Only seqs are known of the
 * listed messages, not where they are: once the marker passes `listedUpTo` they are all read;
 * a marker inside that stretch leaves an unknown part of them, so only the server can count them
 * (undefined).
 */
export function unreadAfterRead(u: Unread, readSeq: number): Unread | undefined {
  if (u.listed > 0 && readSeq < u.listedUpTo) return undefined;
  return { listed: 0, listedUpTo: u.listedUpTo, live: u.live.filter((seq) => seq > readSeq) };
}
