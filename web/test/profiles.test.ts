import assert from "node:assert/strict";
import { startDistributed } from "../../shared/testing/system.ts";
import { connect, register, type RtmClient, RtmError } from "../sdk/mod.ts";
import { endpointsOf } from "./support.ts";

const PASSWORD = "correct horse battery";

Deno.test("profiles and the user directory (auth's /v1/users, through the SDK)", async (t) => {
  // A low search limit so the test reaches it.
  const system = await startDistributed({ env: { AUTH_SEARCH_MAX_PER_MINUTE: "6" } });
  const endpoints = endpointsOf(system);
  const tag = crypto.randomUUID().slice(0, 6);
  const join = async (displayName: string): Promise<{ client: RtmClient; email: string }> => {
    const email = `${displayName.split(" ")[0].toLowerCase()}-${tag}@example.com`;
    await register(endpoints, { email, password: PASSWORD, displayName });
    return {
      client: await connect({ ...endpoints, credentials: { email, password: PASSWORD } }),
      email,
    };
  };
  const ada = await join(`Ada Lovelace ${tag}`);
  const bob = await join(`Bob ${tag}`);
  const raw = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await fetch(`${system.authUrl}${path}`, {
      method,
      headers: {
        ...(body ? { "content-type": "application/json" } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
  try {
    await t.step("GET /v1/users/me answers the account; without a token 401", async () => {
      const token = await ada.client.refreshToken();
      const me = await raw("GET", "/v1/users/me", undefined, token);
      assert.equal(me.status, 200);
      assert.equal(me.body.email, ada.email);
      assert.equal(me.body.displayName, `Ada Lovelace ${tag}`);
      assert.equal(me.headers.get("cache-control"), "private, no-store");
      assert.equal((await raw("GET", "/v1/users/me")).body.error.code, "UNAUTHENTICATED");
      assert.equal((await raw("GET", `/v1/users/${bob.client.userId}`)).status, 401);
      // The token is checked before the request: a bad token is 401 even on a bad request.
      assert.equal((await raw("GET", "/v1/users", undefined, "garbage")).status, 401);
      assert.equal((await raw("POST", "/v1/users/lookup", { ids: [] })).status, 401);
    });

    await t.step("a profile by id and a batch lookup never carry an email", async () => {
      const token = await bob.client.refreshToken();
      const one = await raw("GET", `/v1/users/${ada.client.userId}`, undefined, token);
      assert.deepEqual(one.body, { id: ada.client.userId, displayName: `Ada Lovelace ${tag}` });
      const unknown = crypto.randomUUID();
      assert.equal((await raw("GET", `/v1/users/${unknown}`, undefined, token)).status, 404);
      assert.equal((await raw("GET", "/v1/users/not-a-uuid", undefined, token)).status, 400);
      const ids = [bob.client.userId, unknown, ada.client.userId];
      const batch = await raw("POST", "/v1/users/lookup", { ids }, token);
      assert.deepEqual(batch.body.users.map((u: { id: string }) => u.id), [ids[0], ids[2]]);
      assert.ok(batch.body.users.every((u: object) => !("email" in u)));
      const tooMany = Array.from({ length: 101 }, () => crypto.randomUUID());
      assert.equal((await raw("POST", "/v1/users/lookup", { ids: tooMany }, token)).status, 400);
    });

    await t.step("the SDK caches profiles: one lookup for many asks", async () => {
      const ids = [ada.client.userId, bob.client.userId];
      assert.equal(bob.client.cachedProfile(ada.client.userId), undefined);
      const [first, second] = await Promise.all([
        bob.client.profiles(ids),
        bob.client.profiles(ids),
      ]);
      assert.equal(first.get(ada.client.userId)?.displayName, `Ada Lovelace ${tag}`);
      assert.deepEqual([...second.keys()].sort(), [...ids].sort());
      assert.equal(bob.client.cachedProfile(bob.client.userId)?.displayName, `Bob ${tag}`);
    });

    await t.step("search by name prefix, by a later word, by exact email; no emails", async () => {
      const byName = await bob.client.searchUsers(`ada lovelace ${tag}`);
      assert.deepEqual(byName.map((u) => u.id), [ada.client.userId]);
      const byWord = await bob.client.searchUsers(`lovelace ${tag}`);
      assert.deepEqual(byWord.map((u) => u.id), [ada.client.userId]);
      const byEmail = await bob.client.searchUsers(ada.email.toUpperCase());
      assert.deepEqual(byEmail, [{ id: ada.client.userId, displayName: `Ada Lovelace ${tag}` }]);
      // A partial email matches nothing: the directory cannot be walked by address.
      assert.deepEqual(await bob.client.searchUsers(ada.email.slice(0, 8)), []);
      // LIKE wildcards are taken literally.
      assert.deepEqual(await bob.client.searchUsers("%%"), []);
      await assert.rejects(
        bob.client.searchUsers("a"),
        (err) => err instanceof RtmError && err.code === "INVALID",
      );
    });

    await t.step("search is rate limited per account", async () => {
      // Five counted searches above (the refused one-letter query never reached the limiter).
      await bob.client.searchUsers(`bob ${tag}`);
      await assert.rejects(
        bob.client.searchUsers(`bob ${tag}`),
        (err) => err instanceof RtmError && err.code === "RATE_LIMITED" && !!err.retryAfterSeconds,
      );
      // Another account has its own budget.
      assert.equal((await ada.client.searchUsers(`bob ${tag}`)).length, 1);
    });

    await t.step("PATCH /v1/users/me renames; others see the new name", async () => {
      const renamed = await ada.client.updateProfile({ displayName: `  Ada\u0007 King ${tag} ` });
      assert.equal(renamed.displayName, `Ada King ${tag}`);
      assert.equal(renamed.email, ada.email);
      const token = await bob.client.refreshToken();
      const seen = await raw("GET", `/v1/users/${ada.client.userId}`, undefined, token);
      assert.equal(seen.body.displayName, `Ada King ${tag}`);
      await assert.rejects(
        ada.client.updateProfile({ displayName: "   " }),
        (err) => err instanceof RtmError && err.code === "INVALID",
      );
    });
  } finally {
    ada.client.close();
    bob.client.close();
    await system.stop();
  }
});
