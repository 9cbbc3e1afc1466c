import type { KV } from "@nats-io/kv";
import { sleep } from "../async/sleep.ts";
import type { Logger } from "../logging/logger.ts";
import type { PartitionOwnership } from "../ports/broker.ts";
import { assignedPartitions } from "./partitions.ts";

interface Held {
  revision: number;
  renewedAt: number;
  lost: AbortController;
}

/**
 * Partition leases in a NATS KV bucket whose entries expire after `ttlMs` (the bucket's max age;
 * nats-server 2.9 has no per-key TTL). Every `ttlMs / 3` each instance heartbeats
 * `members.<id>`, lists the live members, and holds exactly the partitions `assignedPartitions`
 * gives it: it renews those it has (compare-and-set on the entry's revision), creates those it
 * lacks (create fails while another instance's lease lives), and hands back those now assigned
 * elsewhere once their work has stopped. A killed instance's leases expire within `ttlMs`, so its
 * partitions move within `ttlMs` plus one tick. An instance that could not renew for two thirds of
 * `ttlMs` stops on its own before anyone else can take the lease.
 */
export class KvPartitionLeases implements PartitionOwnership {
  constructor(
    /** Opens the bucket when persisting starts (only consumer instances use it). */
    private readonly open: () => Promise<KV>,
    private readonly instanceId: string,
    private readonly partitions: number,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  async run(
    work: (partition: number, lost: AbortSignal) => Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    const tick = Math.max(100, Math.floor(this.ttlMs / 3));
    // NATS may not answer yet (a cluster electing its leader): keep trying, as the tick does.
    let kv: KV | undefined;
    while (!kv && !signal.aborted) {
      kv = await this.open().catch((err) => {
        this.logger.warn("partition leases: bucket not ready", { err });
        return undefined;
      });
      if (!kv) await sleep(tick, signal);
    }
    if (!kv) return;
    const held = new Map<number, Held>();
    const running = new Set<Promise<void>>();
    while (!signal.aborted) {
      const members = await this.liveMembers(kv).catch((err) => {
        this.logger.warn("partition leases: members not listed", { err });
        return undefined;
      });
      const mine = members &&
        new Set(assignedPartitions(this.instanceId, members, this.partitions));
      for (const [partition, lease] of held) {
        if (lease.lost.signal.aborted) continue; // stopping; released when its work settles
        if (mine && !mine.has(partition)) {
          lease.lost.abort(); // assigned elsewhere now: finish the batch in hand, then hand over
          continue;
        }
        await this.renew(kv, partition, lease);
      }
      for (const partition of mine ?? []) {
        if (held.has(partition) || signal.aborted) continue;
        const revision = await kv.create(this.key(partition), this.instanceId).catch(() => 0);
        if (!revision) continue; // another instance's lease is alive
        const lease = { revision, renewedAt: Date.now(), lost: new AbortController() };
        held.set(partition, lease);
        this.logger.info("partition acquired", { partition });
        const done: Promise<void> = work(partition, lease.lost.signal)
          .catch((err) => this.logger.error("partition work failed", { partition, err }))
          .finally(async () => {
            held.delete(partition);
            running.delete(done);
            lease.lost.abort();
            await this.release(kv, partition, lease);
          });
        running.add(done);
      }
      await sleep(tick, signal);
    }
    for (const lease of held.values()) lease.lost.abort();
    await Promise.all(running);
    await kv.delete(this.memberKey()).catch(() => {});
  }

  private key(partition: number): string {
    return `partitions.${partition}`;
  }

  private memberKey(): string {
    return `members.${this.instanceId}`;
  }

  /** Heartbeats this instance and lists every instance whose heartbeat has not expired. */
  private async liveMembers(kv: KV): Promise<string[]> {
    await kv.put(this.memberKey(), String(Date.now()));
    const members: string[] = [];
    for await (const key of await kv.keys("members.*")) members.push(key.slice(8));
    return members;
  }

  private async renew(kv: KV, partition: number, lease: Held): Promise<void> {
    try {
      lease.revision = await kv.update(this.key(partition), this.instanceId, lease.revision);
      lease.renewedAt = Date.now();
    } catch (err) {
      // A wrong revision means someone else holds it now; a timeout may pass, but not for long:
      // past two thirds of the TTL the lease may expire before we could know.
      const stale = Date.now() - lease.renewedAt > this.ttlMs * 2 / 3;
      if (stale || !/timeout/i.test(String(err))) {
        this.logger.warn("partition lease lost", { partition, err });
        lease.lost.abort();
      }
    }
  }

  /** Deletes the lease only if it is still ours (its revision unchanged). */
  private async release(kv: KV, partition: number, lease: Held): Promise<void> {
    await kv.delete(this.key(partition), { previousSeq: lease.revision }).catch(() => {});
    this.logger.info("partition released", { partition });
  }
}
