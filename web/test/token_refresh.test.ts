import assert from "node:assert/strict";
import { startDistributed } from "../../shared/testing/system.ts";
import type { TokenPair } from "../sdk/mod.ts";
import { collector, newClient, sleep } from "./support.ts";

/** Counts the refresh requests the SDK sends to auth (it forwards every request unchanged). */
function countRenewals(): { count(): number; restore(): void } {
  const original = globalThis.fetch;
  let n = 0;
  globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.endsWith("/v1/auth/refresh")) n++;
    return original(input, init);
  };
  return { count: () => n, restore: () => globalThis.fetch = original };
}

Deno.test("SDK renews short-lived tokens in time, one renewal at a time", async (t) => {
  // Three-second access tokens: the servers close sockets when the token they opened with expires.
  const system = await startDistributed({ env: { ACCESS_TOKEN_TTL_SECONDS: "3" } });
  const pairs: TokenPair[] = [];
  const statuses: string[] = [];
  const client = await newClient(system, {
    onTokens: (p) => pairs.push(p),
    onStatus: (s) => statuses.push(s),
  });
  const renewals = countRenewals();
  try {
    await t.step("concurrent refreshes share one request", async () => {
      const before = renewals.count();
      const tokens = await Promise.all(Array.from({ length: 5 }, () => client.refreshToken()));
      assert.equal(renewals.count() - before, 1);
      assert.equal(new Set(tokens).size, 1);
      // The renewed session still renews (a refresh token presented twice would revoke it).
      assert.notEqual(await client.refreshToken(), tokens[0]);
    });

    await t.step(
      "messages keep flowing, exactly once, on the same sockets, across token lifetimes",
      async () => {
        const channel = `tok-${crypto.randomUUID().slice(0, 8)}`;
        const got = collector();
        await client.subscribe(channel, got.onMessage);
        const renewedBefore = pairs.length;
        const statusesBefore = statuses.length;
        const sent: string[] = [];
        for (let i = 0; i < 32; i++) {
          sent.push(`tick ${i}`);
          await client.publish(channel, `tick ${i}`);
          await sleep(250);
        }
        await got.until(32);
        assert.deepEqual(got.messages.map((m) => m.seq), sent.map((_, i) => i + 1));
        assert.deepEqual(got.messages.map((m) => m.body), sent);
        // 8 s of 3 s tokens: renewed ahead of expiry at least twice without being asked.
        assert.ok(
          pairs.length - renewedBefore >= 2,
          `renewed ${pairs.length - renewedBefore} times`,
        );
        // Each renewed token went to the servers over the open sockets: no reconnect.
        assert.deepEqual(statuses.slice(statusesBefore), []);
        assert.equal(client.connectionStatus, "online");
      },
    );
  } finally {
    renewals.restore();
    client.close();
    await system.stop();
  }
});
