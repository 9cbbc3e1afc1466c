import { Semaphore } from "../../../../shared/async/semaphore.ts";
import { SYSTEM_USER_ID } from "../../../../shared/domain/system_user.ts";
import type { PublishReceipt, PublishService } from "./publish_service.ts";

export interface ServerPublish {
  channel: string;
  body: string;
  /** Makes a retry safe, as for a client; without one, every call is a new message. */
  clientMsgId?: string;
  /** The user the message is from; the system user when absent. */
  sender?: string;
}

export interface ServerBroadcast {
  channels: string[];
  body: string;
  clientMsgId?: string;
}

export interface BroadcastReceipt {
  clientMsgId: string;
  receipts: { channel: string; streamSeq: number }[];
}

/** Channels of one broadcast appended at once: enough to hide the log's round trips. */
const BROADCAST_CONCURRENCY = 32;

/**
 * Publishing by an application backend, through the same PublishService as a client (validation,
 * rate limit, idempotent append, drain), only authorized by the key instead of membership.
 */
export class ServerPublisher {
  constructor(private readonly service: PublishService) {}

  publish(req: ServerPublish): Promise<PublishReceipt> {
    return this.service.publish(req.sender ?? SYSTEM_USER_ID, {
      channel: req.channel,
      body: req.body,
      clientMsgId: req.clientMsgId ?? crypto.randomUUID(),
    });
  }

  /**
   * One message to each channel. The clientMsgId is the same in each, and idempotency is per
   * channel, so retrying a broadcast that failed halfway stores each channel's copy once.
   */
  async broadcast(req: ServerBroadcast): Promise<BroadcastReceipt> {
    const clientMsgId = req.clientMsgId ?? crypto.randomUUID();
    const channels = [...new Set(req.channels)];
    const slots = new Semaphore(BROADCAST_CONCURRENCY);
    const receipts = await Promise.all(channels.map(async (channel) => {
      const release = await slots.acquire();
      try {
        const { streamSeq } = await this.publish({ channel, body: req.body, clientMsgId });
        return { channel, streamSeq };
      } finally {
        release();
      }
    }));
    return { clientMsgId, receipts };
  }
}
