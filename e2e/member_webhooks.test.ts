import assert from "node:assert/strict";
import { api } from "../consumer/test/support.ts";
import { PgApiKeys } from "../shared/apikeys/pg_api_keys.ts";
import { connectPostgres } from "../shared/db/postgres.ts";
import { freePort, registerAndLogin } from "../shared/testing/infra.ts";
import { startDistributed } from "../shared/testing/system.ts";
import { type ReceivedEvent, WebhookReceiver } from "../shared/testing/webhook_receiver.ts";
import { webhookKey } from "../shared/webhooks/signature.ts";

Deno.test("webhooks: channel.member_added / member_removed from every path, signed, in order per channel", async () => {
  const secret = `whsec_${
    btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
  }`;
  const app = new WebhookReceiver(freePort(), webhookKey(secret));
  app.start();
  // Two consumer instances: both relay the recorded changes, one at a time, so order holds.
  const system = await startDistributed({
    consumers: 2,
    env: { WEBHOOK_URLS: app.url, WEBHOOK_SECRET: secret },
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
    assert.match(first.id, /^evt_member_\d+$/);
    assert.deepEqual(Object.keys(first.data).sort(), ["at", "channel", "userId"]);
  } finally {
    await sql.end();
    await system.stop();
    await app.stop();
  }
});
