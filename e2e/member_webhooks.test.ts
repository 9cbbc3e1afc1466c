import assert from "node:assert/strict";
import { api } from "../consumer/test/support.ts";
import { PgApiKeys } from "../shared/apikeys/pg_api_keys.ts";
import { connectPostgres } from "../shared/db/postgres.ts";
import { freePort, registerAndLogin } from "../shared/testing/infra.ts";
import { startDistributed } from "../shared/testing/system.ts";
import type { EventDeadLetter } from "../shared/ports/broker.ts";
import { eventually } from "../shared/testing/eventually.ts";
import {
  deadLetters,
  type ReceivedEvent,
  WebhookReceiver,
} from "../shared/testing/webhook_receiver.ts";
import { webhookKey } from "../shared/webhooks/signature.ts";
import { startWebhookOutage } from "../shared/testing/webhook_outage.ts";

Deno.test("webhooks: channel.member_added / member_removed from every path, signed, in order per channel", async () => {
  const secret = `whsec_${
    btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
  }`;
  const app = new WebhookReceiver(freePort(), webhookKey(secret));
  const broken = new WebhookReceiver(freePort(), webhookKey(secret), 500);
  app.start();
  broken.start();
  // Two consumer instances: both relay the recorded changes, one at a time, so order holds.
  const system = await startDistributed({
    consumers: 2,
    env: {
      WEBHOOK_URLS: `${app.url},${broken.url}`,
      WEBHOOK_SECRET: secret,
      WEBHOOK_MAX_ATTEMPTS: "3",
      WEBHOOK_RETRY_BASE_MS: "100",
      WEBHOOK_RETRY_MAX_MS: "200",
    },
  });
  const sql = connectPostgres(system.databaseUrl, { max: 1 });
  try {
    const [c0, c1] = system.consumerUrls;
    const key = (await new PgApiKeys(sql).create("backend", ["moderate"])).key;
    const server = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${c1}${path}`, {
        method,
        headers: { authorization: `ApiKey ${key}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      await res.body?.cancel();
      return res.status;
    };
    const alice = await registerAndLogin(system.authUrl);
    const bob = await registerAndLogin(system.authUrl);
    const team = `team-${crypto.randomUUID().slice(0, 8)}`;
    const other = `other-${crypto.randomUUID().slice(0, 8)}`;

    // User routes, interleaved with a second channel's changes.
    assert.equal(
      (await api(c0, alice.token, "POST", "/v1/channels", { id: team, kind: "private" })).status,
      201,
    );
    assert.equal(
      (await api(c1, bob.token, "POST", "/v1/channels", { id: other, kind: "private" })).status,
      201,
    );
    const members = (channel: string) => `/v1/channels/${channel}/members`;
    assert.equal(
      (await api(c0, alice.token, "POST", members(team), { userId: bob.userId })).status,
      200,
    );
    assert.equal(
      (await api(c1, bob.token, "POST", members(other), { userId: alice.userId })).status,
      200,
    );
    assert.equal(
      (await api(c0, alice.token, "DELETE", `${members(team)}/${bob.userId}`)).status,
      204,
    );
    // A direct channel: both members at once, the opener first.
    const dm = await api(c1, alice.token, "POST", `/v1/dm/${bob.userId}`, {});
    assert.equal(dm.status, 200);
    // The server API.
    assert.equal(
      await server("POST", `/v1/server/channels/${team}/members`, { userId: bob.userId }),
      200,
    );
    assert.equal(
      await server("DELETE", `/v1/server/channels/${other}/members/${alice.userId}`),
      204,
    );
    assert.equal(await server("DELETE", `/v1/server/channels/${team}/members/${bob.userId}`), 204);
    assert.equal(
      await server("POST", `/v1/server/channels/${team}/members`, { userId: bob.userId }),
      200,
    );
    // An addition that changes nothing is no event.
    assert.equal(
      await server("POST", `/v1/server/channels/${team}/members`, { userId: bob.userId }),
      200,
    );

    await app.until(11);
    assert.equal(app.badSignatures, 0);
    const change = (e: ReceivedEvent) =>
      `${e.type === "channel.member_added" ? "+" : "-"}${
        e.data.userId === alice.userId ? "alice" : "bob"
      }`;
    assert.deepEqual(app.byChannel(change), {
      [team]: ["+alice", "+bob", "-bob", "+bob", "-bob", "+bob"],
      [other]: ["+bob", "+alice", "-alice"],
      [dm.body.id]: ["+alice", "+bob"],
    });
    const [first] = app.events;
    assert.match(first.id, /^evt_\d+$/);
    assert.deepEqual(Object.keys(first.data).sort(), ["at", "channel", "userId"]);

    // The endpoint that always fails: the team's first event is dead-lettered after 3 attempts.
    let letters: EventDeadLetter[] = [];
    await eventually("an event's dead letter", async () => {
      letters = await deadLetters<EventDeadLetter>(system.natsUrl, system.namespace);
      return letters.some((l) => l.event.channel === team);
    });
    const letter = letters.find((l) => l.event.channel === team)!;
    assert.equal(letter.event.type, "channel.member_added");
    assert.equal(letter.event.data.userId, alice.userId);
    assert.equal(letter.attempts, 3);
    assert.match(letter.reason, /failed 3 times, last: HTTP 500/);
  } finally {
    await sql.end();
    await system.stop();
    await app.stop();
    await broken.stop();
  }
});

Deno.test("webhooks: membership changes made while NATS is down reach the endpoint once it is back", async () => {
  const { app, nats, system, sql, stop } = await startWebhookOutage();
  try {
    const consumer = system.consumerUrls[0];
    const alice = await registerAndLogin(system.authUrl);
    const bob = await registerAndLogin(system.authUrl);
    const team = `team-${crypto.randomUUID().slice(0, 8)}`;
    assert.equal(
      (await api(consumer, alice.token, "POST", "/v1/channels", { id: team, kind: "private" }))
        .status,
      201,
    );
    await app.until(1);

    await nats.stop();
    const members = `/v1/channels/${team}/members`;
    assert.equal(
      (await api(consumer, alice.token, "POST", members, { userId: bob.userId })).status,
      200,
    );
    assert.equal(
      (await api(consumer, alice.token, "DELETE", `${members}/${bob.userId}`)).status,
      204,
    );
    // Recorded with the change; kept (through the relay's failing tries) until NATS is back.
    const pending = async () =>
      (await sql<{ n: number }[]>`select count(*)::int as n from event_outbox`)[0].n;
    assert.equal(await pending(), 2);
    await eventually("the consumer sees NATS gone", async () => {
      const res = await fetch(`${consumer}/ready`);
      await res.body?.cancel();
      return res.status === 503;
    });
    assert.equal(await pending(), 2);
    await nats.restart();

    await app.until(3);
    await eventually("the outbox emptied", async () => await pending() === 0);
    assert.deepEqual(
      app.byChannel((e) => `${e.type === "channel.member_added" ? "+" : "-"}${e.data.userId}`),
      { [team]: [`+${alice.userId}`, `+${bob.userId}`, `-${bob.userId}`] },
    );
  } finally {
    await stop();
  }
});
