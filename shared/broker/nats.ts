import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import {
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
} from "@nats-io/jetstream";
import { ChannelEvent, eventKey } from "../domain/channel_event.ts";
import { AcceptedMessage, StoredMessage } from "../domain/message.ts";
import { AppError } from "../errors.ts";
import { activeTraceparent, inTrace, tracingOn } from "../tracing/tracing.ts";
import type { Logger } from "../logging/logger.ts";
import type {
  AppendResult,
  Broker,
  ChannelFollow,
  DeadLetter,
  EventDeadLetter,
  MessageLog,
  PartitionedLog,
  PartitionOwnership,
} from "../ports/broker.ts";
import type { EventLog } from "../ports/event_log.ts";
import type { LogQueues } from "../ports/log_queues.ts";
import type { BrokerConfig } from "./config.ts";
import { openLogQueue } from "./jetstream_log_queue.ts";
import { ensureLeaseBucket, ensureStreams } from "./jetstream_streams.ts";
import { readPartition } from "./jetstream_partition_reader.ts";
import { JetStreamPublisher } from "./jetstream_publisher.ts";
import { KvPartitionLeases } from "./kv_partition_leases.ts";
import { partitionOf } from "./partitions.ts";
import { type BrokerNames, brokerNames } from "./subjects.ts";
import { turnBatcher } from "./turn_batch.ts";
import { safeJson } from "./wire.ts";

export interface NatsBrokerOptions extends BrokerConfig {
  /** Connection name shown in NATS monitoring. */
  name: string;
  logger: Logger;
}

const encoder = new TextEncoder();

/**
 * JetStream for the durable log, read back per partition; a KV bucket for partition leases; core
 * NATS for delivery fan-out, on a second connection with echo off: this instance hands its own
 * stored messages to its followers in-process (no NATS round trip, no parse) and NATS carries
 * them to the other instances that follow the channel only (interest-based, per channel subject).
 */
export class NatsBroker implements Broker {
  private connected = true;
  private readonly names: BrokerNames;
  private readonly js: JetStreamClient;
  private readonly publisher: JetStreamPublisher;
  /** Appends issued in one event-loop turn share one socket write. */
  private readonly soon = turnBatcher();
  /** One listener per channel this instance follows (its hub fans out to the sockets). */
  private readonly following = new Map<string, (message: StoredMessage) => void>();
  readonly log: MessageLog & PartitionedLog;
  readonly ownership: PartitionOwnership;
  readonly logQueues: LogQueues;
  readonly events: EventLog;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly deliveryNc: NatsConnection,
    jsm: JetStreamManager,
    private readonly opts: NatsBrokerOptions,
    names: BrokerNames,
    logId: string,
  ) {
    this.names = names;
    this.js = jetstream(nc, { timeout: 5_000 });
    this.publisher = new JetStreamPublisher(nc);
    this.log = {
      partitions: opts.partitions,
      id: logId,
      append: (message, dedupeKey, timeoutMs) => this.append(message, dedupeKey, timeoutMs),
      read: (partition, after, handle, readOptions) =>
        readPartition(this.js, names.stream, names.partitionSubject(partition), after, handle, {
          ...readOptions,
          logger: opts.logger,
        }),
    };
    this.logQueues = {
      open: (name, partition, { ackWaitMs }) =>
        openLogQueue(
          this.js,
          jsm,
          names.stream,
          names.partitionSubject(partition),
          `${name}-p${partition}`,
          ackWaitMs,
          AcceptedMessage,
        ),
    };
    this.events = {
      append: async (event, timeoutMs) => {
        const key = eventKey(event);
        await this.js.publish(
          names.eventSubject(partitionOf(key, opts.partitions), key),
          encoder.encode(JSON.stringify(event)),
          { msgID: event.id, timeout: timeoutMs },
        );
      },
      queues: {
        open: (name, partition, { ackWaitMs }) =>
          openLogQueue(
            this.js,
            jsm,
            names.eventStream,
            names.eventPartitionSubject(partition),
            `${name}-p${partition}`,
            ackWaitMs,
            ChannelEvent,
          ),
      },
    };
    this.ownership = new KvPartitionLeases(
      () => ensureLeaseBucket(nc, jsm, names, opts),
      crypto.randomUUID(),
      opts.partitions,
      opts.leaseTtlMs,
      opts.logger,
    );
    void this.watchStatus(nc, "nats", (connected) => this.connected = connected);
    void this.watchStatus(deliveryNc, "nats delivery connection");
  }

  static async connect(opts: NatsBrokerOptions): Promise<NatsBroker> {
    const options = {
      servers: opts.servers,
      user: opts.user,
      pass: opts.password,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      waitOnFirstConnect: true,
      pingInterval: 10_000,
      // Async traces build two Error objects (with stack) per request, i.e. per JetStream publish:
      // ~25 % of the client's CPU per publish. Our errors say what failed without them.
      noAsyncTraces: true,
    };
    const nc = await connect({ ...options, name: opts.name });
    const deliveryNc = await connect({ ...options, name: `${opts.name}-delivery`, noEcho: true })
      .catch(async (err) => {
        await nc.close();
        throw err;
      });
    try {
      const names = brokerNames(opts.namespace);
      const jsm = await jetstreamManager(nc);
      const logId = await ensureStreams(jsm, names, opts);
      return new NatsBroker(nc, deliveryNc, jsm, opts, names, logId);
    } catch (err) {
      await Promise.all([nc.close(), deliveryNc.close()]);
      throw err;
    }
  }

  /**
   * Logs a connection going and coming back; the main one also decides `healthy()`. Deliveries
   * lost while the delivery connection is down are made good by the consumer's periodic resync.
   */
  private async watchStatus(
    nc: NatsConnection,
    label: string,
    onChange: (connected: boolean) => void = () => {},
  ): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        onChange(false);
        this.opts.logger.warn(`${label} disconnected`);
      } else if (s.type === "reconnect") {
        onChange(true);
        this.opts.logger.info(`${label} reconnected`);
      }
    }
  }

  healthy(): boolean {
    return this.connected && !this.nc.isClosed();
  }

  private async append(
    message: AcceptedMessage,
    dedupeKey: string,
    timeoutMs: number,
  ): Promise<AppendResult> {
    // While disconnected the client would buffer the publish and send it on reconnect, long
    // after the caller was told UNAVAILABLE; refusing at once keeps "unavailable" meaning "not
    // sent". A publish buffered in the instant before a disconnect is noticed may still be
    // stored later: a retry with the same key is then answered from the duplicate window.
    const subject = this.names.messageSubject(
      partitionOf(message.channel, this.opts.partitions),
      message.channel,
    );
    if (!this.healthy()) throw unavailable();
    // Read now: the publish itself runs at the end of the turn, outside the caller's span.
    const trace = tracingOn ? activeTraceparent() : undefined;
    try {
      const ack = await this.soon(() =>
        this.publisher.publish(
          subject,
          encoder.encode(JSON.stringify(message)),
          dedupeKey,
          timeoutMs,
          trace,
        )
      );
      return { streamSeq: ack.seq, duplicate: ack.duplicate } satisfies AppendResult;
    } catch (err) {
      // Timeouts, no responders, a closed connection: all mean "not known to be stored".
      this.opts.logger.warn("jetstream publish failed", { err });
      throw unavailable();
    }
  }

  delivery = {
    received: 0,
    publish: (message: StoredMessage) => {
      try {
        this.following.get(message.channel)?.(message);
      } finally {
        // Other instances get it even if a local listener threw (the caller logs the error).
        this.deliveryNc.publish(
          this.names.deliverySubject(message.channel),
          encoder.encode(JSON.stringify(message)),
          tracingOn ? traceHeaders() : undefined,
        );
      }
    },
    follow: (channel: string, onMessage: (message: StoredMessage) => void): ChannelFollow => {
      if (this.following.has(channel)) throw new Error(`already following ${channel}`);
      this.following.set(channel, onMessage);
      const sub = this.deliveryNc.subscribe(this.names.deliverySubject(channel), {
        callback: (err, msg) => {
          if (err) return;
          this.delivery.received++;
          const parsed = StoredMessage.safeParse(safeJson(msg.data));
          if (!parsed.success) return;
          const trace = tracingOn ? msg.headers?.get("traceparent") : undefined;
          if (trace) inTrace(trace, () => onMessage(parsed.data));
          else onMessage(parsed.data);
        },
      });
      return {
        // The server has the subscription once it answers a ping sent after it.
        ready: this.deliveryNc.flush(),
        unfollow: () => {
          this.following.delete(channel);
          sub.unsubscribe();
        },
      };
    },
  };

  signals = {
    publish: (topic: string, data: unknown) => {
      this.nc.publish(this.names.signalSubject(topic), encoder.encode(JSON.stringify(data)));
    },
    subscribe: (topic: string, onData: (data: unknown) => void) => {
      const sub = this.nc.subscribe(this.names.signalSubject(topic), {
        callback: (err, msg) => {
          if (!err) onData(safeJson(msg.data));
        },
      });
      return () => sub.unsubscribe();
    },
  };

  deadLetters = {
    put: async (letter: DeadLetter | EventDeadLetter) => {
      const key = "event" in letter ? eventKey(letter.event) : letter.message.channel;
      await this.js.publish(
        this.names.deadLetterSubject(key),
        encoder.encode(JSON.stringify(letter)),
      );
    },
    count: async () => {
      const jsm = await jetstreamManager(this.nc);
      return (await jsm.streams.info(this.names.deadLetterStream)).state.messages;
    },
  };

  async close(): Promise<void> {
    await Promise.all([this.nc, this.deliveryNc].map(async (nc) => {
      if (nc.isClosed()) return;
      await nc.drain().catch(() => nc.close());
    }));
  }
}

function unavailable(): AppError {
  return new AppError("UNAVAILABLE", "message store unavailable, retry with the same clientMsgId");
}

/** The active span's trace as NATS headers (none when no span is active). */
function traceHeaders() {
  const traceparent = activeTraceparent();
  if (!traceparent) return undefined;
  const h = headers();
  h.set("traceparent", traceparent);
  return { headers: h };
}
