import { withDeadline } from "../shared/async/deadline.ts";
import { connect, type Endpoints, type Message, type RtmClient } from "../web/sdk/mod.ts";
import type { EventKind } from "../shared/domain/message_event.ts";

/** A registered user the load connects as (caps are per user, so clients spread over several). */
export interface LoadUser {
  email: string;
  password: string;
  /** Logged in once up front; the SDK logs in again with the credentials when it must renew. */
  accessToken: string;
}

/** What one subscriber was given of one channel (messages and events), in delivery order. */
export interface ChannelLog {
  seqs: number[];
  clientMsgIds: string[];
  /** The same clientMsgIds with their seqs, for quick "has it arrived" checks. */
  seen: Map<string, number>;
  lastSeq: number;
  /** A seq beyond last+1: a message handed over past a hole. */
  gaps: number;
  /** Resubscriptions the server could not recover (`recovered: false`, the SDK's onReset). */
  unrecovered: number;
}

const ONLINE_TIMEOUT_MS = 30_000;

/**
 * One client of the load: the SDK as an application uses it, with its own backoff, timeouts and
 * retries. It counts its reconnects and records every message the SDK delivers, for
 * reconciliation.
 */
export class LoadClient {
  readonly logs = new Map<string, ChannelLog>();

  private constructor(private readonly sdk: RtmClient, private readonly lost: { count: number }) {}

  /** Connects as `user`; resolves once both of its sockets are open. */
  static async connect(endpoints: Endpoints, user: LoadUser): Promise<LoadClient> {
    const lost = { count: 0 };
    let online!: () => void;
    const opened = new Promise<void>((resolve) => online = resolve);
    const sdk = await connect({
      ...endpoints,
      tokens: { accessToken: user.accessToken },
      credentials: { email: user.email, password: user.password },
      onStatus: (status) => {
        if (status === "online") online();
        if (status === "reconnecting") lost.count++;
      },
    });
    try {
      await withDeadline(opened, ONLINE_TIMEOUT_MS, () => new Error("the SDK never got online"));
    } catch (err) {
      sdk.close();
      throw err;
    }
    return new LoadClient(sdk, lost);
  }

  /** How many times a socket of this client was lost (the SDK then reconnects). */
  get reconnects(): number {
    return this.lost.count;
  }

  get channels(): string[] {
    return [...this.logs.keys()];
  }

  publish(channel: string, body: string, clientMsgId: string): Promise<unknown> {
    return this.sdk.publish(channel, body, { clientMsgId });
  }

  /** An edit, delete or react (👍, `body`) on message `target`, as the SDK sends it. */
  act(
    kind: Exclude<EventKind, "unreact">,
    channel: string,
    target: number,
    body: string,
    clientMsgId: string,
  ): Promise<unknown> {
    const options = { clientMsgId };
    switch (kind) {
      case "edit":
        return this.sdk.edit(channel, target, body, options);
      case "delete":
        return this.sdk.delete(channel, target, options);
      case "react":
        return this.sdk.react(channel, target, body, options);
    }
  }

  /** Subscribes to each channel from its first message, recording what the SDK delivers. */
  async subscribe(channels: string[]): Promise<void> {
    await Promise.all(channels.map((channel) => {
      const log: ChannelLog = {
        seqs: [],
        clientMsgIds: [],
        seen: new Map(),
        lastSeq: 0,
        gaps: 0,
        unrecovered: 0,
      };
      this.logs.set(channel, log);
      // Messages and events share the channel's sequence: one log, so gaps are seen across both.
      const record = (m: Message) => {
        if (m.seq > log.lastSeq + 1) log.gaps++;
        log.seqs.push(m.seq);
        log.clientMsgIds.push(m.clientMsgId);
        log.seen.set(m.clientMsgId, m.seq);
        log.lastSeq = Math.max(log.lastSeq, m.seq);
      };
      return this.sdk.subscribe(channel, record, {
        since: 0,
        onEvent: record,
        onReset: () => log.unrecovered++,
      });
    }));
  }

  /** Whether this client has been given `seq` on `channel` (or more). */
  reached(channel: string, seq: number): boolean {
    return (this.logs.get(channel)?.lastSeq ?? 0) >= seq;
  }

  close(): void {
    this.sdk.close();
  }
}
