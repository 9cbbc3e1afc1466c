import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  type JsMsg,
  StorageType,
} from "@nats-io/jetstream";
import { migrateUp } from "../shared/db/migrate.ts";
import { connectPostgres } from "../shared/db/postgres.ts";
import { createTestDatabase } from "../shared/testing/infra.ts";
import { timedBody } from "./load.ts";

const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A message as the services carry it, so the ceilings move the same bytes. */
function sampleMessage(i: number, channel: string, sender: string, bodyBytes: number) {
  return {
    id: crypto.randomUUID(),
    channel,
    clientMsgId: `ceiling-${i}`,
    sender,
    body: timedBody(bodyBytes),
    sentAt: new Date().toISOString(),
  };
}

export interface CoreCeiling {
  messages: number;
  subscribers: number;
  msgPerSec: number;
  deliveriesPerSec: number;
  complete: boolean;
}

/**
 * Raw core NATS: one publisher connection, `subscribers` subscriber connections, the delivery
 * payload of a stored message, as fast as the client can publish (flushing every 1,000).
 */
export async function natsCoreCeiling(opts: {
  natsUrl: string;
  namespace: string;
  messages: number;
  subscribers: number;
  bodyBytes: number;
  timeoutMs: number;
}): Promise<CoreCeiling> {
  const subject = `${opts.namespace}.ceiling.core`;
  const payload = encoder.encode(JSON.stringify({
    ...sampleMessage(0, "ceiling", crypto.randomUUID(), opts.bodyBytes),
    seq: 1,
  }));
  const pub = await connect({ servers: opts.natsUrl, name: "bench-core-pub" });
  const subs: NatsConnection[] = [];
  let received = 0;
  try {
    for (let i = 0; i < opts.subscribers; i++) {
      const nc = await connect({ servers: opts.natsUrl, name: `bench-core-sub-${i}` });
      subs.push(nc);
      nc.subscribe(subject, {
        callback: () => {
          received++;
        },
      });
      await nc.flush();
    }
    const want = opts.messages * opts.subscribers;
    const start = performance.now();
    for (let i = 0; i < opts.messages; i++) {
      pub.publish(subject, payload);
      if (i % 1_000 === 999) await pub.flush();
    }
    await pub.flush();
    const deadline = start + opts.timeoutMs;
    while (received < want && performance.now() < deadline) await sleep(2);
    const seconds = (performance.now() - start) / 1000;
    return {
      messages: opts.messages,
      subscribers: opts.subscribers,
      msgPerSec: Math.round(received / opts.subscribers / seconds),
      deliveriesPerSec: Math.round(received / seconds),
      complete: received >= want,
    };
  } finally {
    await Promise.all([pub, ...subs].map((nc) => nc.close()));
  }
}

export interface DurableCeiling {
  messages: number;
  batchSize: number;
  publishPerSec: number;
  persistedPerSec: number;
  complete: boolean;
}

/**
 * Raw JetStream → PostgreSQL: pipelined JetStream publishes (Msg-Id set, as the producer does)
 * into a file stream of its own, drained by a pull consumer that inserts batches with one
 * multi-row statement into the same `messages` table (migrated fresh database), then acks.
 */
export async function durableCeiling(opts: {
  natsUrl: string;
  namespace: string;
  messages: number;
  channels: number;
  batchSize: number;
  bodyBytes: number;
  timeoutMs: number;
}): Promise<DurableCeiling> {
  const db = await createTestDatabase();
  const sql = connectPostgres(db.url, { max: 4 });
  const nc = await connect({ servers: opts.natsUrl, name: "bench-durable-ceiling" });
  const stream = `BENCH_CEILING_${opts.namespace}`;
  const jsm = await jetstreamManager(nc);
  try {
    await migrateUp(sql);
    const [user] = await sql<{ id: string }[]>`
      insert into users (email, password_hash, display_name)
      values ('ceiling@bench', 'x', 'ceiling') returning id`;
    const channels = Array.from({ length: opts.channels }, (_, i) => `ceiling-${i}`);
    await sql`insert into channels ${sql(channels.map((id) => ({ id, kind: "public" })))}`;
    await jsm.streams.add({
      name: stream,
      subjects: [`${opts.namespace}.ceiling.durable.>`],
      storage: StorageType.File,
      max_bytes: 256 * 1024 * 1024,
    });
    await jsm.consumers.add(stream, {
      durable_name: "ceiling",
      ack_policy: AckPolicy.Explicit,
      max_ack_pending: 20_000,
    });
    const js = jetstream(nc, { timeout: 10_000 });
    const consumer = await js.consumers.get(stream, "ceiling");
    const iter = await consumer.consume({ max_messages: opts.batchSize * 2 });
    const seqs = new Map(channels.map((c) => [c, 0]));
    let persisted = 0;
    const buffer: JsMsg[] = [];
    void (async () => {
      for await (const m of iter) buffer.push(m);
    })();
    const insertLoop = (async () => {
      const deadline = performance.now() + opts.timeoutMs;
      while (persisted < opts.messages && performance.now() < deadline) {
        if (buffer.length === 0) {
          await sleep(1);
          continue;
        }
        const batch = buffer.splice(0, opts.batchSize);
        const rows = batch.map((m) => {
          const msg = JSON.parse(new TextDecoder().decode(m.data));
          const seq = seqs.get(msg.channel)! + 1;
          seqs.set(msg.channel, seq);
          return { ...msg, seq };
        });
        await sql`
          insert into messages (channel_id, seq, id, client_msg_id, sender_id, body, created_at)
          select * from unnest(
            ${rows.map((r) => r.channel)}::text[], ${rows.map((r) => r.seq)}::bigint[],
            ${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.clientMsgId)}::text[],
            ${rows.map((r) => r.sender)}::uuid[], ${rows.map((r) => r.body)}::text[],
            ${rows.map((r) => r.sentAt)}::timestamptz[])`;
        for (const m of batch) m.ack();
        persisted += batch.length;
      }
    })();
    const start = performance.now();
    const window: Promise<unknown>[] = [];
    for (let i = 0; i < opts.messages; i++) {
      const msg = sampleMessage(i, channels[i % channels.length], user.id, opts.bodyBytes);
      window.push(js.publish(
        `${opts.namespace}.ceiling.durable.${msg.channel}`,
        encoder.encode(
          JSON.stringify(msg),
        ),
        { msgID: `${msg.sender}:${msg.clientMsgId}` },
      ));
      if (window.length >= 512) await Promise.all(window.splice(0));
    }
    await Promise.all(window);
    const published = performance.now();
    await insertLoop;
    const done = performance.now();
    iter.stop();
    return {
      messages: opts.messages,
      batchSize: opts.batchSize,
      publishPerSec: Math.round(opts.messages / ((published - start) / 1000)),
      persistedPerSec: Math.round(persisted / ((done - start) / 1000)),
      complete: persisted >= opts.messages,
    };
  } finally {
    await jsm.streams.delete(stream).catch(() => {});
    await nc.close();
    await sql.end();
    await db.drop();
  }
}
