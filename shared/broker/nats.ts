import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  type JetStreamClient,
  jetstreamManager,
  type JsMsg,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { AcceptedMessage, StoredMessage } from "../domain/message.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../logging/logger.ts";
import type { AppendResult, Broker, DeadLetter, QueuedMessage } from "../ports/broker.ts";
import type { BrokerConfig } from "./config.ts";
import { JetStreamPublisher } from "./jetstream_publisher.ts";
import { type BrokerNames, brokerNames } from "./subjects.ts";
import { turnBatcher } from "./turn_batch.ts";

export interface NatsBrokerOptions extends BrokerConfig {
  /** Connection name shown in NATS monitoring. */
  name: string;
  logger: Logger;
}

const NANOS = 1_000_000_000;
/** Dead letters are rare and kept for an operator: a month, within a small byte budget. */
const DEAD_LETTER_MAX_AGE_SECONDS = 30 * 24 * 3600;
const DEAD_LETTER_MAX_BYTES = 64 * 1024 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * JetStream for the durable log and the persist work queue; core NATS for delivery fan-out, on a
 * second connection with echo off: this instance hands its own stored messages to its listeners
 * in-process (no NATS round trip, no parse) and NATS carries them to the other instances only.
 */
export class NatsBroker implements Broker {
  private connected = true;
  private readonly names: BrokerNames;
  private readonly js: JetStreamClient;
  private readonly publisher: JetStreamPublisher;
  /** Appends issued in one event-loop turn share one socket write. */
  private readonly soon = turnBatcher();
  private readonly localDelivery = new Set<(message: StoredMessage) => void>();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly deliveryNc: NatsConnection,
    private readonly opts: NatsBrokerOptions,
  ) {
    this.names = brokerNames(opts.namespace);
    this.js = jetstream(nc, { timeout: 5_000 });
    this.publisher = new JetStreamPublisher(nc);
    void this.watchStatus(nc, "nats", (connected) => this.connected = connected);
    void this.watchStatus(deliveryNc, "nats delivery connection");
  }

  static async connect(opts: NatsBrokerOptions): Promise<NatsBroker> {
    const options = {
      servers: opts.url,
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
    const broker = new NatsBroker(nc, deliveryNc, opts);
    await broker.ensureStream();
    return broker;
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

  /** Creates or updates the streams with explicit limits, so every deployment runs the same. */
  private async ensureStream(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const s = this.opts.stream;
    const upsert = async (config: Partial<StreamConfig> & { name: string }) => {
      try {
        await jsm.streams.info(config.name);
        await jsm.streams.update(config.name, config);
      } catch (err) {
        if (!(err instanceof Error && /stream not found/i.test(err.message))) throw err;
        await jsm.streams.add(config);
      }
    };
    await upsert({
      name: this.names.stream,
      subjects: [this.names.messageWildcard],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: s.maxAgeSeconds * NANOS,
      duplicate_window: s.duplicateWindowSeconds * NANOS,
      max_msg_size: s.maxMessageBytes,
      max_bytes: s.maxBytes,
    });
    await upsert({
      name: this.names.deadLetterStream,
      subjects: [this.names.deadLetterWildcard],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: DEAD_LETTER_MAX_AGE_SECONDS * NANOS,
      max_msg_size: s.maxMessageBytes * 2,
      max_bytes: Math.min(s.maxBytes, DEAD_LETTER_MAX_BYTES),
    });
    await jsm.consumers.add(this.names.stream, {
      durable_name: this.names.persistDurable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: this.opts.persistAckWaitSeconds * NANOS,
      max_ack_pending: 20_000,
    });
  }

  healthy(): boolean {
    return this.connected && !this.nc.isClosed();
  }

  log = {
    append: async (message: AcceptedMessage, dedupeKey: string, timeoutMs: number) => {
      // While disconnected the client would buffer the publish and send it on reconnect, long
      // after the caller was told UNAVAILABLE; refusing at once keeps "unavailable" meaning "not
      // sent". A publish buffered in the instant before a disconnect is noticed may still be
      // stored later: a retry with the same key is then answered from the duplicate window.
      const subject = this.names.messageSubject(message.channel);
      if (!this.healthy()) throw unavailable();
      try {
        const ack = await this.soon(() =>
          this.publisher.publish(
            subject,
            encoder.encode(JSON.stringify(message)),
            dedupeKey,
            timeoutMs,
          )
        );
        return { streamSeq: ack.seq, duplicate: ack.duplicate } satisfies AppendResult;
      } catch (err) {
        // Timeouts, no responders, a closed connection: all mean "not known to be stored".
        this.opts.logger.warn("jetstream publish failed", { err });
        throw unavailable();
      }
    },
  };

  persistQueue = {
    run: async (
      handle: (batch: QueuedMessage[]) => Promise<void>,
      { maxBatch, signal }: { maxBatch: number; signal: AbortSignal },
    ) => {
      const consumer = await this.js.consumers.get(this.names.stream, this.names.persistDurable);
      const messages = await consumer.consume({ max_messages: maxBatch * 2 });
      const stop = () => messages.stop();
      signal.addEventListener("abort", stop, { once: true });
      const buffer: JsMsg[] = [];
      let wake: (() => void) | undefined;
      let ended = false;
      void (async () => {
        for await (const m of messages) {
          buffer.push(m);
          wake?.();
        }
        ended = true;
        wake?.();
      })();
      // Messages in hand (fetched, or in the batch being stored) are kept from redelivery for as
      // long as this instance lives, however slow the store: ack_wait then only bounds how long
      // a dead instance's messages wait for another instance.
      let handling: JsMsg[] = [];
      const keepAlive = setInterval(() => {
        for (const m of buffer) m.working();
        for (const m of handling) m.working();
      }, this.opts.persistAckWaitSeconds * 1000 / 3);
      try {
        // Whatever arrived while the previous batch was being stored forms the next batch.
        while (!signal.aborted) {
          if (buffer.length === 0) {
            if (ended) break;
            await new Promise<void>((resolve) => wake = resolve);
            wake = undefined;
            continue;
          }
          handling = buffer.splice(0, maxBatch);
          const batch = handling.flatMap((m) => this.toQueued(m));
          if (batch.length) await handle(batch);
          handling = [];
        }
      } finally {
        clearInterval(keepAlive);
      }
      // Hand back what was fetched but not handled, so another instance takes it at once.
      for (const m of buffer.splice(0)) m.nak();
      signal.removeEventListener("abort", stop);
    },
  };

  private toQueued(m: JsMsg): QueuedMessage[] {
    const parsed = AcceptedMessage.safeParse(safeJson(m.data));
    if (!parsed.success) {
      this.opts.logger.error("dropping malformed stream message", { streamSeq: m.seq });
      m.term("malformed");
      return [];
    }
    return [{
      message: parsed.data,
      deliveryCount: m.info.deliveryCount,
      ack: () => m.ack(),
      nak: (delayMs) => m.nak(delayMs),
      term: (reason) => m.term(reason),
    }];
  }

  delivery = {
    publish: (message: StoredMessage) => {
      try {
        for (const listener of this.localDelivery) listener(message);
      } finally {
        // Other instances get it even if a local listener threw (the caller logs the error).
        this.deliveryNc.publish(
          this.names.deliverySubject(message.channel),
          encoder.encode(JSON.stringify(message)),
        );
      }
    },
    subscribe: (onMessage: (message: StoredMessage) => void) => {
      this.localDelivery.add(onMessage);
      const sub = this.deliveryNc.subscribe(this.names.deliveryWildcard, {
        callback: (err, msg) => {
          if (err) return;
          const parsed = StoredMessage.safeParse(safeJson(msg.data));
          if (parsed.success) onMessage(parsed.data);
        },
      });
      return () => {
        this.localDelivery.delete(onMessage);
        sub.unsubscribe();
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
    put: async (letter: DeadLetter) => {
      await this.js.publish(
        this.names.deadLetterSubject(letter.message.channel),
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

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}
