import assert from "node:assert/strict";
import { eventually } from "../../shared/testing/eventually.ts";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed } from "../../shared/testing/system.ts";
import { api } from "./support.ts";

const SEARCHES_PER_MINUTE = 20;

Deno.test("search: full-text over the caller's channels now, paged, bounded, rate limited", async (t) => {
  const system = await startDistributed({
    env: { SEARCH_RATE_PER_MINUTE: String(SEARCHES_PER_MINUTE) },
  });
  const consumer = system.consumerUrls[0];
  const alice = await registerAndLogin(system.authUrl);
  const bob = await registerAndLogin(system.authUrl);
  const tag = crypto.randomUUID().slice(0, 6);
  const secret = `secret-${tag}`;
  const town = `town-${tag}`;
  const search = (token: string, params: Record<string, string>) =>
    api(consumer, token, "GET", `/v1/search?${new URLSearchParams(params)}`);
  const words = (r: { body: { results: { body: string }[] } }) => r.body.results.map((m) => m.body);
  let sent = 0;
  const publish = async (channel: string, body: string) => {
    const res = await api(
      system.producerUrl,
      alice.token,
      "POST",
      `/v1/channels/${channel}/messages`,
      {
        clientMsgId: `m-${sent++}`,
        body,
      },
    );
    assert.equal(res.status, 202, JSON.stringify(res.body));
  };
  const stored = (channel: string, seq: number) =>
    eventually(`${channel} stored up to ${seq}`, async () => {
      const page = await api(consumer, alice.token, "GET", `/v1/channels/${channel}/messages`);
      return page.status === 200 && page.body.lastSeq >= seq;
    }, { everyMs: 200 });

  try {
    assert.equal(
      (await api(consumer, alice.token, "POST", "/v1/channels", { id: secret, kind: "private" }))
        .status,
      201,
    );
    assert.equal(
      (await api(consumer, alice.token, "POST", "/v1/channels", { id: town, kind: "public" }))
        .status,
      201,
    );
    await publish(secret, "the Zebra crossing plan");
    await publish(secret, "lunch at noon");
    await publish(town, "a zebra was seen in the square");
    for (let i = 1; i <= 5; i++) await publish(town, `quokka sighting number ${i}`);
    await stored(secret, 2);
    await stored(town, 6);

    await t.step(
      "a member finds whole words, any case, newest first, in every channel",
      async () => {
        const found = await search(alice.token, { query: "zebra" });
        assert.equal(found.status, 200);
        assert.deepEqual(words(found), [
          "a zebra was seen in the square",
          "the Zebra crossing plan",
        ]);
        assert.equal(found.body.next, undefined);
        const only = await search(alice.token, { query: "ZEBRA", channel: secret });
        assert.deepEqual(words(only), ["the Zebra crossing plan"]);
        assert.equal(only.body.results[0].channel, secret);
        assert.equal(only.body.results[0].seq, 1);
        assert.deepEqual(words(await search(alice.token, { query: "zebr" })), [], "whole words");
      },
    );

    await t.step("pages with `next` until none is left, no duplicate, no gap", async () => {
      const seen: string[] = [];
      let before: string | undefined;
      for (let page = 0; page < 5; page++) {
        const res = await search(alice.token, {
          query: "quokka",
          limit: "2",
          ...(before ? { before } : {}),
        });
        assert.equal(res.status, 200);
        seen.push(...words(res));
        before = res.body.next;
        if (!before) break;
      }
      assert.deepEqual(seen, [5, 4, 3, 2, 1].map((i) => `quokka sighting number ${i}`));
    });

    await t.step("never-joined channels are not searched, public ones neither", async () => {
      assert.deepEqual(words(await search(bob.token, { query: "zebra" })), []);
      assert.deepEqual(words(await search(bob.token, { query: "zebra", channel: secret })), []);
      assert.deepEqual(words(await search(bob.token, { query: "zebra", channel: town })), []);
    });

    await t.step("joined, then left: found, then not", async () => {
      const join = await api(consumer, bob.token, "POST", `/v1/channels/${town}/members`, {
        userId: bob.userId,
      });
      assert.equal(join.status, 200);
      const add = await api(consumer, alice.token, "POST", `/v1/channels/${secret}/members`, {
        userId: bob.userId,
      });
      assert.equal(add.status, 200);
      assert.equal(words(await search(bob.token, { query: "zebra" })).length, 2);
      assert.equal(
        (await api(consumer, bob.token, "DELETE", `/v1/channels/${town}/members/${bob.userId}`))
          .status,
        204,
      );
      assert.equal(
        (await api(consumer, alice.token, "DELETE", `/v1/channels/${secret}/members/${bob.userId}`))
          .status,
        204,
      );
      assert.deepEqual(words(await search(bob.token, { query: "zebra" })), []);
    });

    await t.step("bad input is INVALID, odd text is still a query, no token is 401", async () => {
      const long = await search(alice.token, { query: "a".repeat(201) });
      assert.equal(long.status, 400);
      assert.equal(long.body.error.code, "INVALID");
      assert.equal((await search(alice.token, { query: "   " })).status, 400);
      const forged = await search(alice.token, { query: "zebra", before: "not-a-cursor" });
      assert.equal(forged.status, 400);
      assert.equal(forged.body.error.code, "INVALID");
      // Well-formed, but not a time the database reads: still INVALID, not a 5xx.
      const odd = btoa(JSON.stringify({ at: "not a time", channel: town, seq: 1 }))
        .replaceAll("=", "");
      assert.equal((await search(alice.token, { query: "zebra", before: odd })).status, 400);
      // Any text is a query, never a syntax error: operators are taken as words or dropped.
      for (const odd of ["'):*&|!<->\"", "zebra & !", "or", "\\", "-zebra"]) {
        const res = await search(alice.token, { query: odd });
        assert.equal(res.status, 200, `${odd}: ${JSON.stringify(res.body)}`);
      }
      const res = await fetch(`${consumer}/v1/search?query=zebra`);
      assert.equal(res.status, 401);
      await res.body?.cancel();
    });

    await t.step("over the per-user rate: 429 with Retry-After; others still search", async () => {
      let limited: Response | undefined;
      for (let i = 0; i < 3 * SEARCHES_PER_MINUTE && !limited; i++) {
        const res = await fetch(`${consumer}/v1/search?query=zebra`, {
          headers: { authorization: `Bearer ${alice.token}` },
        });
        await res.body?.cancel();
        if (res.status === 429) limited = res;
        else assert.equal(res.status, 200);
      }
      assert.ok(limited, "refused within the rate");
      assert.ok(Number(limited.headers.get("retry-after")) >= 1);
      assert.equal((await search(bob.token, { query: "zebra" })).status, 200);
    });

    await t.step("the route is in the OpenAPI document", async () => {
      const doc = await (await fetch(`${consumer}/v1/openapi.json`)).json();
      assert.ok(doc.paths["/v1/search"]?.get);
    });
  } finally {
    await system.stop();
  }
});
