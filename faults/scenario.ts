import type postgres from "postgres";
import { sleep } from "../shared/async/sleep.ts";
import { Load } from "./load.ts";
import { LoadClient, type LoadUser } from "./load_client.ts";
import type { Profile } from "./profiles.ts";
import { eventEffects } from "./event_effects.ts";
import { converge, reconcile, type ScenarioResult } from "./reconcile.ts";
import type { Topology } from "./topology.ts";

/** What every scenario works with. */
export interface SuiteContext {
  topology: Topology;
  profile: Profile;
  sql: postgres.Sql;
  /** Registered users (load clients spread over them; caps are per user). */
  users: LoadUser[];
}

/** What a scenario's fault did, told back to the runner. */
export interface FaultOutcome {
  /** When the system was whole again (start of the time-to-recover clock). */
  healedAt?: number;
  notes?: string[];
  violations?: string[];
}

export interface RunningLoad {
  load: Load;
  subscribers: LoadClient[];
  publishers: LoadClient[];
  channels: string[];
}

const CONVERGE_TIMEOUT_MS = 60_000;

/**
 * One scenario: subscribers on every channel (spread over both consumer instances), steady
 * publishing with edits, deletes and reactions mixed in, the fault in the middle, then a probe
 * message to time the recovery, then reconciliation against PostgreSQL and what each subscriber
 * saw, and the events' effects on their messages.
 */
export async function runScenario(
  ctx: SuiteContext,
  name: string,
  fault: (running: RunningLoad) => Promise<FaultOutcome>,
): Promise<ScenarioResult & { notes: string[] }> {
  const { profile, topology } = ctx;
  const tag = crypto.randomUUID().slice(0, 6);
  const channels = Array.from({ length: profile.channels }, (_, i) => `f-${name}-${tag}-${i}`);
  // SDK clients given both consumer instances, as a deployment without a load balancer would: each
  // starts on a random one and moves to the other when its instance fails. The producer is shared.
  const connectClient = (i: number) =>
    LoadClient.connect({
      authUrl: topology.system.authUrl,
      producerUrl: topology.producerUrls,
      consumerUrl: topology.consumerUrls,
    }, ctx.users[i % ctx.users.length]);
  const subscribers: LoadClient[] = [];
  const publishers: LoadClient[] = [];
  try {
    for (let i = 0; i < profile.subscribers; i++) subscribers.push(await connectClient(i));
    for (let i = 0; i < profile.publishers; i++) publishers.push(await connectClient(i));
    await Promise.all(subscribers.map((s) => s.subscribe(channels)));
    const load = new Load(
      publishers,
      channels,
      { ratePerSecond: profile.ratePerSecond, inFlight: profile.inFlight },
      (channel, clientMsgId) => subscribers[0].logs.get(channel)?.seen.get(clientMsgId),
    );
    load.start();
    await sleep(profile.warmupMs);
    const outcome = await fault({ load, subscribers, publishers, channels });
    const recoverMs = outcome.healedAt === undefined
      ? undefined
      : await timeToRecover(publishers[0], subscribers, channels[0], load, outcome.healedAt);
    await sleep(profile.afterMs);
    const ledger = await load.stop();
    await converge(ctx.sql, ledger, subscribers, channels, CONVERGE_TIMEOUT_MS);
    const result = await reconcile(name, ctx.sql, ledger, subscribers, channels, recoverMs);
    const effects = await eventEffects(ctx.sql, ledger, channels);
    result.events = effects.checked;
    result.violations.push(...effects.violations, ...(outcome.violations ?? []));
    const crashes = topology.unexpectedExits();
    if (crashes.length) result.violations.push(...crashes);
    return { ...result, notes: outcome.notes ?? [] };
  } finally {
    for (const c of [...subscribers, ...publishers]) c.close();
  }
}

/**
 * From `healedAt` until the system has caught up: every message sent before then, and a probe
 * published then, is acked and has reached every subscriber of its channel.
 */
async function timeToRecover(
  publisher: LoadClient,
  subscribers: LoadClient[],
  channel: string,
  load: Load,
  healedAt: number,
): Promise<number | undefined> {
  const clientMsgId = crypto.randomUUID();
  load.ledger.sent.set(clientMsgId, channel);
  const backlog = [...load.ledger.sent];
  await publisher.publish(channel, "probe", clientMsgId);
  load.ledger.acked.set(clientMsgId, channel);
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const caughtUp = backlog.every(([id, c]) =>
      load.ledger.acked.has(id) && subscribers.every((s) => s.logs.get(c)!.seen.has(id))
    );
    if (caughtUp) return Date.now() - healedAt;
    await sleep(50);
  }
  return undefined;
}
