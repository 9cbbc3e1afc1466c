import assert from "node:assert/strict";
import { eventually } from "../../shared/testing/eventually.ts";
import { startNatsServer } from "../../shared/testing/nats_server.ts";
import { startDistributed } from "../../shared/testing/system.ts";
import type { AckFrame } from "../sdk/mod.ts";
import { collector, newClient } from "./support.ts";

/** A producer that lets a connection publish 5 at once, then 20 a second. */
const LOW_LIMITS = { RATE_PER_SECOND: "20", RATE_BURST: "5" };
const COUNT = 30;

/**
 * Publishes COUNT messages at once; resolves with their acks in publish order and the order in
 * which the acks came.
 */
async function publishAll(
  publish: (body: string) => Promise<AckFrame>,
  prefix: string,
): Promise<{ acks: AckFrame[]; ackOrder: number[]; bodies: string[] }> {
  const bodies = Array.from({ length: COUNT }, (_, i) => `${prefix} ${i}`);
  const ackOrder: number[] = [];
  const acks = await Promise.all(
    bodies.map((body, i) => publish(body).then((ack) => (ackOrder.push(i), ack))),
  );
  return { acks, ackOrder, bodies };
}

function assertInPublishOrder(
  { acks, ackOrder, bodies }: Awaited<ReturnType<typeof publishAll>>,
  delivered: string[],
) {
  const seqs = acks.map((a) => a.streamSeq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "stored in publish order");
  assert.deepEqual(ackOrder, bodies.map((_, i) => i), "acked in publish order");
  assert.deepEqual(delivered, bodies, "delivered once each, in publish order");
}

Deno.test("SDK: RATE_LIMITED is waited out, not failed, and a sender's messages keep their order", async (t) => {
  const nats = await startNatsServer();
  const system = await startDistributed({ natsUrl: nats.url, env: LOW_LIMITS });
  const alice = await newClient(system);
  const bob = await newClient(system);
  try {
    const channel = `rate-${crypto.randomUUID().slice(0, 8)}`;
    const got = collector();
    await bob.subscribe(channel, got.onMessage);
    const received = (prefix: string) =>
      got.messages.map((m) => m.body).filter((b) => b.startsWith(prefix));

    await t.step("six times the burst at once: every publish acked", async () => {
      const sent = await publishAll((body) => alice.publish(channel, body), "burst");
      await got.until(COUNT, 30_000);
      assertInPublishOrder(sent, received("burst"));
    });

    await t.step("publishes made during a NATS outage are all acked after it", async () => {
      const ready = async () => (await fetch(`${system.producerUrl}/ready`)).status;
      await nats.stop({ kill: true });
      await eventually("producer sees NATS down", async () => await ready() === 503);
      const refusals = await fetch(`${system.producerUrl}/metrics`).then((r) => r.text());
      const sending = publishAll((body) => alice.publish(channel, body), "outage");
      // The SDK's attempts are refused UNAVAILABLE before NATS comes back.
      await eventually("publishes refused", async () => {
        const now = await fetch(`${system.producerUrl}/metrics`).then((r) => r.text());
        return unavailable(now) > unavailable(refusals);
      });
      await nats.restart();
      const sent = await sending;
      await got.until(2 * COUNT, 30_000);
      assertInPublishOrder(sent, received("outage"));
    });
  } finally {
    alice.close();
    bob.close();
    await system.stop();
    await nats.stop();
    await Deno.remove(nats.storeDir, { recursive: true }).catch(() => {});
  }
});

/** Publishes the producer answered UNAVAILABLE, from its metrics. */
function unavailable(metrics: string): number {
  const line = metrics.match(/^rtm_publishes_total\{result="UNAVAILABLE".*\} (\d+)$/m);
  return line ? Number(line[1]) : 0;
}
