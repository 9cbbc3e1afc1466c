import assert from "node:assert/strict";
import { z } from "zod";
import { parseEnv } from "../config/env.ts";
import { dedupeKey } from "../domain/message.ts";
import { createLogger } from "../logging/logger.ts";
import { startNatsServer } from "../testing/nats_server.ts";
import { brokerConfigFrom, brokerEnv } from "./config.ts";
import { NatsBroker } from "./nats.ts";

/**
 * docker/nats/users.conf as compose runs it (no namespace): each service's user can do what the
 * code does with NATS. Here the consumer's webhook paths: durable queues on the message log and
 * on the event stream (created, pulled, acked), the membership relay's appends, dead letters.
 * A refused subject shows as a publish that times out or an ack that never lands.
 */
Deno.test("docker/nats/users.conf lets the consumer run webhooks and relay channel events", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rtm-users-conf-" });
  const users = await Deno.readTextFile(new URL("../../docker/nats/users.conf", import.meta.url));
  await Deno.writeTextFile(
    `${dir}/nats.conf`,
    `NATS_PRODUCER_PASSWORD: "pprod"\nNATS_CONSUMER_PASSWORD: "pcons"\n${users}`,
  );
  const server = await startNatsServer({ args: ["-c", `${dir}/nats.conf`] });
  const connect = (user: string, password: string) =>
    NatsBroker.connect({
      ...brokerConfigFrom(parseEnv(z.object(brokerEnv), {
        NATS_URL: server.url,
        NATS_USER: user,
        NATS_PASSWORD: password,
        PERSIST_PARTITIONS: "1",
        STREAM_MAX_BYTES: String(16 * 1024 * 1024),
      })),
      name: `users-conf-${user}`,
      logger: createLogger({ service: "test", level: "error" }),
    });
  const producer = await connect("producer", "pprod");
  const consumer = await connect("consumer", "pcons");
  try {
    const ackWaitMs = 60_000; // an ack that is refused would hold the next entry back this long
    const messages = await consumer.logQueues!.open("webhook-test", 0, { ackWaitMs });
    const events = await consumer.events.queues.open("webhook-test", 0, { ackWaitMs });
    const message = (clientMsgId: string) => ({
      id: crypto.randomUUID(),
      channel: "general",
      clientMsgId,
      sender: crypto.randomUUID(),
      body: "hi",
      sentAt: new Date().toISOString(),
    });
    for (const id of ["m-1", "m-2"]) {
      const m = message(id);
      await producer.log.append(m, dedupeKey(m), 5_000);
    }
    const event = (n: number) => ({
      id: `evt_${n}`,
      type: "channel.member_added" as const,
      channel: "general",
      at: new Date().toISOString(),
      data: { userId: crypto.randomUUID() },
    });
    for (const n of [1, 2]) await consumer.events.append(event(n), 5_000);

    const first = await messages.next();
    assert.equal(first?.message.clientMsgId, "m-1");
    first.ack();
    assert.equal((await messages.next())?.message.clientMsgId, "m-2", "the ack went through");
    const e1 = await events.next();
    assert.equal(e1?.message.id, "evt_1");
    e1.ack();
    assert.equal((await events.next())?.message.id, "evt_2", "the ack went through");
    await consumer.deadLetters.put({ event: event(3), reason: "test", attempts: 1, at: "now" });
    assert.equal(await consumer.deadLetters.count(), 1);
  } finally {
    await Promise.all([producer.close(), consumer.close()]);
    await server.stop();
    await Deno.remove(server.storeDir, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});
