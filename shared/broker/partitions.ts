/**
 * Channels are spread over a fixed number of partitions by a stable hash of their id (32-bit
 * FNV-1a: the same on every instance, every runtime, every restart). A partition's messages are
 * persisted in log order by one instance at a time, so each channel keeps the order JetStream
 * stored its messages in.
 */
export function partitionOf(channel: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < channel.length; i++) {
    hash ^= channel.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

/**
 * The partitions `member` should own when `members` are alive: the members sorted, partition p to
 * the (p mod n)-th. Every instance that sees the same members computes the same split, and each
 * gets within one partition of its fair share.
 */
export function assignedPartitions(
  member: string,
  members: string[],
  partitions: number,
): number[] {
  const sorted = [...new Set([...members, member])].sort();
  const index = sorted.indexOf(member);
  const mine: number[] = [];
  for (let p = index; p < partitions; p += sorted.length) mine.push(p);
  return mine;
}
