import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import assert from "node:assert/strict";
import { PgApiKeys } from "../shared/apikeys/pg_api_keys.ts";
import { brokerNames } from "../shared/broker/subjects.ts";
import type { DeadLetter } from "../shared/ports/broker.ts";
import { connectPostgres } from "../shared/db/postgres.ts";
import { freePort } from "../shared/testing/infra.ts";
import { startDistributed } from "../shared/testing/system.ts";
import { webhookKey } from "../shared/webhooks/signature.ts";
import { eventually } from "../shared/testing/eventually.ts";
import { Receiver } from "./webhook_receiver.ts";
import { sleep } from "../shared/async/sleep.ts";

type MessageData = { channel: string; clientMsgId: string };

/** clientMsgIds per channel, in the order they first arrived. */
function byChannel(receiver: Receiver<MessageData>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of receiver.events) (out[e.data.channel] ??= []).push(e.data.clientMsgId);
  return out;
}

async function deadLetters(natsUrl: string, namespace: string): Promise<DeadLetter[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const stream = brokerNames(namespace).deadLetterStream;
    const { state } = await jsm.streams.info(stream);
    const out: DeadLetter[] = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
      if (m) out.push(m.json<DeadLetter>());
    }
    return out;
  } finally {
    await nc.close();
  }
}

Deno.test("webhooks: signed, in order per channel, nothing lost while the endpoint is down, dead letters", async () => {
  const secret = `whsec_${
    btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
  }`;
  const key = webhookKey(secret);
  const app = new Receiver<MessageData>(freePort(), key);
  const broken = new Receiver<MessageData>(freePort(), key, 500);
  app.start();
  broken.start();
  const system = await startDistributed({
    env: {
      WEBHOOK_URLS: `${app.url},${broken.url}`,
      WEBHOOK_SECRET: secret,
      // Quick retries for the test: 100 ms doubling to 500 ms, 12 attempts (about 5 s).
      WEBHOOK_MAX_ATTEMPTS: "12",
      WEBHOOK_RETRY_BASE_MS: "100",
      WEBHOOK_RETRY_MAX_MS: "500",
      WEBHOOK_TIMEOUT_MS: "2000",
    },
  });
  const sql = connectPostgres(system.databaseUrl, { max: 1 });
  try {
    const { key: apiKey } = await new PgApiKeys(sql).create("hooks", ["publish"]);
    const channels = ["hook-a", "hook-b", "hook-c"].map((c) =>
      `${c}-${crypto.randomUUID().slice(0, 6)}`
    );
    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        for (const channel of channels) {
          const res = await fetch(`${system.producerUrl}/v1/server/publish`, {
            method: "POST",
            headers: { authorization: `ApiKey ${apiKey}`, "content-type": "application/json" },
            body: JSON.stringify({ channel, body: `#${i}`, clientMsgId: `m-${i}` }),
          });
          assert.equal(res.status, 202, await res.text());
        }
      }
    };
    const expected = (n: number) =>
      Object.fromEntries(channels.map((c) => [c, Array.from({ length: n }, (_, i) => `m-${i}`)]));

    await publish(0, 5);
    await app.until(15);
    assert.deepEqual(byChannel(app), expected(5));
    assert.ok(app.events.every((e) => e.type === "message.created"));

    // The endpoint goes away for two seconds while messages keep coming, then comes back.
    await app.stop();
    await publish(5, 10);
    await sleep(2_000);
    app.start();
    await app.until(30);
    assert.deepEqual(byChannel(app), expected(10), "every event, in order per channel");
    assert.equal(app.badSignatures, 0);

    // The endpoint that always fails: its events go to the dead letters after the last attempt.
    let letters: DeadLetter[] = [];
    await eventually("a dead letter", async () => {
      letters = await deadLetters(system.natsUrl, system.namespace);
      return letters.length > 0;
    });
    assert.equal(letters[0].attempts, 12);
    assert.match(
      letters[0].reason,
      new RegExp(`webhook ${broken.url} failed 12 times, last: HTTP 500`),
    );
    assert.equal(letters[0].message.clientMsgId, "m-0");
  } finally {
    await sql.end();
    await system.stop();
    await app.stop();
    await broken.stop();
  }
});
