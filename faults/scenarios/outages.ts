import { sleep } from "../../shared/async/sleep.ts";
import type { FaultOutcome, RunningLoad, SuiteContext } from "../scenario.ts";

type Fault = (ctx: SuiteContext, running: RunningLoad) => Promise<FaultOutcome>;

const RESTART_PAUSE_MS = 500;

/** 1. SIGKILL the producer mid-stream and start it again on the same port. */
export const killProducer: Fault = async ({ topology, profile }) => {
  for (let i = 0; i < profile.kills; i++) {
    if (i) await sleep(profile.warmupMs);
    await topology.killProducer();
    await sleep(RESTART_PAUSE_MS);
    await topology.startProducer();
  }
  return { healedAt: Date.now() };
};

/** 2. SIGKILL one of the two consumer instances mid-batch and start it again. */
export const killConsumer: Fault = async ({ topology, profile }, { subscribers }) => {
  const reconnectsBefore = subscribers.reduce((n, s) => n + s.reconnects, 0);
  for (let i = 0; i < profile.kills; i++) {
    if (i) await sleep(profile.warmupMs);
    await topology.killConsumer(1);
    await sleep(RESTART_PAUSE_MS);
    await topology.startConsumer(1);
  }
  const moved = subscribers.reduce((n, s) => n + s.reconnects, 0) - reconnectsBefore;
  return {
    healedAt: Date.now(),
    notes: [`${moved} subscriber reconnects with since`],
  };
};

/** 3. Stop nats-server for 5 s; JetStream's store survives; publishers retry meanwhile. */
export const stopNats: Fault = async ({ topology }, { load }) => {
  await topology.stopNats();
  await sleep(5_000);
  await topology.startNats();
  // What the SDK still holds now was refused (UNAVAILABLE) or not answered while NATS was down.
  const { sent, acked } = load.ledger;
  const awaiting = [...sent.keys()].filter((id) => !acked.has(id)).length;
  return {
    healedAt: Date.now(),
    notes: [`${awaiting} publishes awaiting their ack (retried by the SDK) when NATS came back`],
  };
};

/**
 * 4. Stop PostgreSQL for 10 s: JetStream keeps the messages so publishes are still acked; the
 * consumer backs off and catches up in order once PostgreSQL is back.
 */
export const stopPostgres: Fault = async ({ topology }, { load }) => {
  await topology.stopPostgres();
  const ackedBefore = load.ledger.acked.size;
  // The second half counts apart: past every cache's lifetime, acks must still come.
  await sleep(5_000);
  const ackedFirstHalf = load.ledger.acked.size - ackedBefore;
  await sleep(5_000);
  const ackedSecondHalf = load.ledger.acked.size - ackedBefore - ackedFirstHalf;
  await topology.startPostgres();
  return {
    healedAt: Date.now(),
    notes: [
      `${ackedFirstHalf} + ${ackedSecondHalf} publishes acked in the first and last 5 s of the ` +
      `PostgreSQL outage`,
    ],
    violations: ackedSecondHalf > 0
      ? []
      : ["no publish was acked in the last 5 s of the PostgreSQL outage"],
  };
};
