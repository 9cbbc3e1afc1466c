import { connectPostgres } from "../shared/db/postgres.ts";
import type { Ledger } from "./ledger.ts";
import { inBatches, Probe, Publisher } from "./load.ts";

export interface DurableResult {
  messages: number;
  window: number;
  /** Acked messages per second, first publish to last ack. */
  ackedPerSec: number;
  /** Stored messages per second, first publish to the last row committed in PostgreSQL. */
  persistedPerSec: number;
  complete: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Our durable path as fast as it goes, the counterpart of the JetStream→PostgreSQL ceiling:
 * `messages` publishes over `publishers` sockets, at most `window` unacked per socket, no
 * subscribers; timed until PostgreSQL holds them all (polling the channels' counters).
 */
export async function durableScenario(opts: {
  producerWs: string;
  databaseUrl: string;
  token: string;
  ledger: Ledger;
  prefix: string;
  publishers: number;
  channels: number;
  messages: number;
  window: number;
  bodyBytes: number;
  timeoutMs: number;
}): Promise<DurableResult> {
  const probe = new Probe();
  const pubs = await inBatches(
    opts.publishers,
    8,
    (i) =>
      Publisher.open(opts.producerWs, opts.token, `${opts.prefix}-p${i}`, opts.ledger, () => probe),
  );
  const channels = Array.from({ length: opts.channels }, (_, i) => `${opts.prefix}-${i}`);
  const sql = connectPostgres(opts.databaseUrl, { max: 1 });
  const stored = async () => {
    const [{ n }] = await sql<{ n: number }[]>`
      select coalesce(sum(last_seq), 0)::int as n from channels where id = any(${channels})`;
    return n;
  };
  try {
    const start = performance.now();
    const deadline = start + opts.timeoutMs;
    for (let i = 0; i < opts.messages && performance.now() < deadline; i++) {
      const pub = pubs[i % pubs.length];
      while (pub.inFlight >= opts.window && performance.now() < deadline) await sleep(1);
      pub.publish(channels[i % channels.length], opts.bodyBytes);
    }
    while (probe.acks + probe.errors < probe.sent && performance.now() < deadline) await sleep(2);
    const acked = performance.now();
    let n = await stored();
    while (n < probe.acks && performance.now() < deadline) {
      await sleep(20);
      n = await stored();
    }
    const done = performance.now();
    return {
      messages: opts.messages,
      window: opts.window,
      ackedPerSec: Math.round(probe.acks / ((acked - start) / 1000)),
      persistedPerSec: Math.round(n / ((done - start) / 1000)),
      complete: probe.acks === opts.messages && n >= probe.acks,
    };
  } finally {
    for (const p of pubs) p.close();
    await sql.end();
  }
}
