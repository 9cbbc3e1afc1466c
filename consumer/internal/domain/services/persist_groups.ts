import type { AcceptedMessage, StoredMessage } from "../../../../shared/domain/message.ts";
import {
  FencedError,
  type MessageStore,
  type PartitionFence,
  StoreError,
} from "../ports/message_store.ts";

interface Member {
  messages: AcceptedMessage[];
  fence: PartitionFence;
  resolve: (stored: StoredMessage[]) => void;
  reject: (err: unknown) => void;
}

/**
 * The store as the partitions of one instance share it: at most `slots` transactions at a time,
 * and the batches that wait for one go in the next together, up to `maxMessages` rows (at least
 * one batch). One transaction per partition batch made many tiny commits that queued for the slots
 * (bench/NOTES.md, fix 21). A partition submits one batch at a time, so a group holds at most one
 * batch per partition, and a channel's rows come from its partition alone, in log order.
 *
 * A group that fails for good (a fence refused, a message that can never be stored) is stored
 * again batch by batch, so each partition gets its own verdict and one partition's bad message or
 * lost lease never holds back the others. A transient failure fails every batch of the group:
 * each partition retries.
 */
export class PersistGroups {
  private readonly queue: Member[] = [];
  private running = 0;

  constructor(
    private readonly store: MessageStore,
    private readonly slots: number,
    private readonly maxMessages: number,
  ) {}

  /** Stores one partition's batch, moving its fence; resolves with its stored messages. */
  storeBatch(messages: AcceptedMessage[], fence: PartitionFence): Promise<StoredMessage[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ messages, fence, resolve, reject });
      this.startGroups();
    });
  }

  private startGroups(): void {
    while (this.running < this.slots && this.queue.length > 0) {
      let rows = 0;
      let taken = 0;
      while (taken < this.queue.length && (taken === 0 || rows < this.maxMessages)) {
        rows += this.queue[taken++].messages.length;
      }
      const group = this.queue.splice(0, taken);
      this.running++;
      void this.storeGroup(group).finally(() => {
        this.running--;
        this.startGroups();
      });
    }
  }

  private async storeGroup(group: Member[]): Promise<void> {
    if (group.length === 1) return this.storeAlone(group[0]);
    let stored: StoredMessage[];
    try {
      stored = await this.store.storeBatch(
        group.flatMap((m) => m.messages),
        group.map((m) => m.fence),
      );
    } catch (err) {
      if (err instanceof FencedError || (err instanceof StoreError && err.permanent)) {
        for (const member of group) await this.storeAlone(member);
      } else {
        for (const member of group) member.reject(err);
      }
      return;
    }
    // Each channel belongs to one partition: its rows go back to the batch that carried it.
    const byChannel = new Map<string, StoredMessage[]>();
    for (const m of stored) {
      const rows = byChannel.get(m.channel);
      if (rows) rows.push(m);
      else byChannel.set(m.channel, [m]);
    }
    for (const member of group) {
      const channels = new Set(member.messages.map((m) => m.channel));
      member.resolve([...channels].flatMap((c) => byChannel.get(c) ?? []));
    }
  }

  private async storeAlone(member: Member): Promise<void> {
    try {
      member.resolve(await this.store.storeBatch(member.messages, [member.fence]));
    } catch (err) {
      member.reject(err);
    }
  }
}
