import assert from "node:assert/strict";
import {
  getJson,
  type Json,
  medianTimes,
  PASSWORD,
  postJson,
  registerAndLogin,
  startTestAuth,
  uniqueEmail,
} from "./harness.ts";

Deno.test("auth HTTP: register → login → me → refresh → reuse revokes the family → logout", async (t) => {
  const a = await startTestAuth();
  try {
    const email = uniqueEmail();
    let login: Json;

    await t.step("register answers 201 with what was registered, normalised", async () => {
      const res = await postJson(`${a.url}/v1/auth/register`, {
        email: `  ${email.toUpperCase()} `,
        password: PASSWORD,
        displayName: "Ada\u0000 Love\u0007lace\n",
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body, { email, displayName: "Ada Lovelace" });
    });

    await t.step("login answers 200 with an access and a refresh token", async () => {
      const res = await postJson(`${a.url}/v1/auth/login`, { email, password: PASSWORD });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      login = res.body;
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.equal(res.body.tokenType, "Bearer");
      assert.equal(res.body.expiresIn, 900);
      assert.ok(res.body.refreshExpiresIn > 29 * 24 * 3600);
      assert.equal(res.body.accessToken.split(".").length, 3);
      assert.ok(res.body.refreshToken.length >= 40);
      assert.equal(res.body.user.email, email);
      // Only a hash of the refresh token is stored.
      const rows = await a.sql`select token_hash from refresh_tokens`;
      assert.equal(rows.length, 1);
      assert.ok(!new TextDecoder().decode(rows[0].token_hash).includes(login.refreshToken));
    });

    await t.step("me answers the user for the access token, 401 without one", async () => {
      const me = await getJson(`${a.url}/v1/auth/me`, login.accessToken);
      assert.equal(me.status, 200);
      assert.equal(me.body.email, email);
      assert.equal(me.body.displayName, "Ada Lovelace");
      const none = await getJson(`${a.url}/v1/auth/me`);
      assert.equal(none.status, 401);
      assert.equal(none.body.error.code, "UNAUTHENTICATED");
    });

    let second: Json;
    await t.step("refresh returns a new pair (same shape as login); both tokens work", async () => {
      const res = await postJson(`${a.url}/v1/auth/refresh`, { refreshToken: login.refreshToken });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      second = res.body;
      assert.deepEqual(Object.keys(second).sort(), Object.keys(login).sort());
      assert.notEqual(second.refreshToken, login.refreshToken);
      assert.notEqual(second.accessToken, login.accessToken);
      assert.equal(second.user.id, login.user.id);
      assert.equal((await getJson(`${a.url}/v1/auth/me`, second.accessToken)).status, 200);
    });

    let third: Json;
    await t.step("the rotated token refreshes again", async () => {
      const res = await postJson(`${a.url}/v1/auth/refresh`, { refreshToken: second.refreshToken });
      assert.equal(res.status, 200);
      third = res.body;
    });

    await t.step(
      "replaying a spent refresh token: 401, and the whole family is revoked",
      async () => {
        const replay = await postJson(`${a.url}/v1/auth/refresh`, {
          refreshToken: login.refreshToken,
        });
        assert.equal(replay.status, 401);
        assert.deepEqual(replay.body, {
          error: { code: "UNAUTHENTICATED", message: "invalid or expired refresh token" },
        });
        // The newest token of the family, never used, is dead too: the thief's copy is useless.
        const newest = await postJson(`${a.url}/v1/auth/refresh`, {
          refreshToken: third.refreshToken,
        });
        assert.equal(newest.status, 401);
        const live = await a
          .sql`select count(*)::int as n from refresh_tokens where revoked_at is null`;
        assert.equal(live[0].n, 0);
      },
    );

    await t.step("logout revokes the family of a new login: 204, then refresh is 401", async () => {
      const fresh = await postJson(`${a.url}/v1/auth/login`, { email, password: PASSWORD });
      const rotated = await postJson(`${a.url}/v1/auth/refresh`, {
        refreshToken: fresh.body.refreshToken,
      });
      assert.equal(rotated.status, 200);
      const other = await postJson(`${a.url}/v1/auth/login`, { email, password: PASSWORD });

      const out = await postJson(`${a.url}/v1/auth/logout`, {
        refreshToken: rotated.body.refreshToken,
      });
      assert.equal(out.status, 204);
      assert.equal(out.body, undefined);
      const after = await postJson(`${a.url}/v1/auth/refresh`, {
        refreshToken: rotated.body.refreshToken,
      });
      assert.equal(after.status, 401);
      // Another login (another device) is a different family and keeps working.
      const elsewhere = await postJson(`${a.url}/v1/auth/refresh`, {
        refreshToken: other.body.refreshToken,
      });
      assert.equal(elsewhere.status, 200);
      // Logging out twice, or with a token never issued, is still 204 (RFC 7009).
      assert.equal(
        (await postJson(`${a.url}/v1/auth/logout`, { refreshToken: rotated.body.refreshToken }))
          .status,
        204,
      );
      assert.equal(
        (await postJson(`${a.url}/v1/auth/logout`, { refreshToken: "never-issued" })).status,
        204,
      );
      assert.equal((await postJson(`${a.url}/v1/auth/logout`, {})).status, 400);
    });

    await t.step("an unknown refresh token is 401, an empty one 400", async () => {
      const unknown = await postJson(`${a.url}/v1/auth/refresh`, { refreshToken: "x".repeat(43) });
      assert.equal(unknown.status, 401);
      const empty = await postJson(`${a.url}/v1/auth/refresh`, { refreshToken: "" });
      assert.equal(empty.status, 400);
      assert.equal(empty.body.error.code, "INVALID");
    });
  } finally {
    await a.stop();
  }
});

Deno.test("auth HTTP: an expired refresh token is refused with 401", async () => {
  const a = await startTestAuth({ REFRESH_TOKEN_TTL_SECONDS: "1" });
  try {
    const login = await registerAndLogin(a.url);
    assert.equal(login.refreshExpiresIn <= 1, true);
    await new Promise((r) => setTimeout(r, 1_100));
    const res = await postJson(`${a.url}/v1/auth/refresh`, { refreshToken: login.refreshToken });
    assert.equal(res.status, 401);
  } finally {
    await a.stop();
  }
});

Deno.test("auth HTTP: input rules — taken email as a new one, weak password 400, wrong password 401", async (t) => {
  const a = await startTestAuth();
  try {
    const email = uniqueEmail();
    assert.equal(
      (await postJson(`${a.url}/v1/auth/register`, { email, password: PASSWORD })).status,
      201,
    );

    await t.step("a taken email answers as a new one, and changes nothing", async () => {
      const taken = await postJson(`${a.url}/v1/auth/register`, {
        email: ` ${email.toUpperCase()}`,
        password: "another password",
      });
      const fresh = uniqueEmail();
      const free = await postJson(`${a.url}/v1/auth/register`, {
        email: fresh,
        password: "another password",
      });
      assert.equal(taken.status, 201);
      assert.equal(free.status, 201);
      assert.deepEqual(Object.keys(taken.body), Object.keys(free.body));
      assert.deepEqual(taken.body, { email, displayName: email.split("@")[0] });
      assert.deepEqual(
        [...taken.headers.keys()].sort(),
        [...free.headers.keys()].sort(),
        "same headers",
      );
      // The account keeps its password; the would-be taker's does not open it.
      const [{ n }] = await a.sql`select count(*)::int as n from users where email = ${email}`;
      assert.equal(n, 1);
      const login = (password: string) => postJson(`${a.url}/v1/auth/login`, { email, password });
      assert.equal((await login("another password")).status, 401);
      assert.equal((await login(PASSWORD)).status, 200);
    });

    await t.step("passwords under 8 or over 128 characters, bad emails: 400", async () => {
      for (
        const body of [
          { email: uniqueEmail(), password: "short" },
          { email: uniqueEmail(), password: "x".repeat(129) },
          { email: "not-an-email", password: PASSWORD },
          { email: uniqueEmail() },
          { password: PASSWORD },
          { email: uniqueEmail(), password: PASSWORD, displayName: "\u0001\u0002 " },
          { email: uniqueEmail(), password: PASSWORD, displayName: "x".repeat(65) },
        ]
      ) {
        const res = await postJson(`${a.url}/v1/auth/register`, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error.code, "INVALID");
      }
      const edge = await postJson(`${a.url}/v1/auth/register`, {
        email: uniqueEmail(),
        password: "x".repeat(8),
      });
      assert.equal(edge.status, 201, "8 characters are enough");
    });

    await t.step("malformed JSON is 400, not 500", async () => {
      const res = await postJson(`${a.url}/v1/auth/login`, "{not json");
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, "INVALID");
    });

    await t.step("wrong password and unknown email: the same 401", async () => {
      const wrong = await postJson(`${a.url}/v1/auth/login`, { email, password: "wrong password" });
      const unknown = await postJson(`${a.url}/v1/auth/login`, {
        email: uniqueEmail(),
        password: PASSWORD,
      });
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.body, unknown.body);
      assert.deepEqual(wrong.body, {
        error: { code: "UNAUTHENTICATED", message: "invalid email or password" },
      });
    });
  } finally {
    await a.stop();
  }
});

Deno.test("auth HTTP: a 1 MiB body is refused with 413 before it is parsed", async () => {
  const a = await startTestAuth();
  try {
    // Not JSON at all: a parser would have answered 400.
    const big = "x".repeat(1024 * 1024);
    for (const path of ["register", "login", "refresh", "logout"]) {
      const res = await postJson(`${a.url}/v1/auth/${path}`, big);
      assert.equal(res.status, 413, path);
      assert.equal(res.body.error.code, "TOO_LARGE");
    }
    // Streamed without a Content-Length (up to 256 MiB): refused while reading, long before the
    // end, so the server never holds the whole body.
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    const limit = 4096;
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < limit) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${a.url}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
    });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, "TOO_LARGE");
    assert.ok(sent < limit / 4, `refused early (after ${sent} chunks)`);
  } finally {
    await a.stop();
  }
});

Deno.test("auth HTTP: OpenAPI documents every auth endpoint", async () => {
  const a = await startTestAuth();
  try {
    const doc = (await getJson(`${a.url}/v1/openapi.json`)).body;
    for (const path of ["register", "login", "refresh", "logout", "me"]) {
      assert.ok(doc.paths[`/v1/auth/${path}`], path);
    }
    assert.ok(doc.paths["/v1/auth/refresh"].post.responses["401"]);
    assert.deepEqual(doc.paths["/v1/auth/me"].get.security, [{ bearer: [] }]);
    const swagger = await fetch(`${a.url}/v1/swagger/index.html`);
    assert.equal(swagger.status, 200);
    await swagger.body?.cancel();
  } finally {
    await a.stop();
  }
});

Deno.test("auth HTTP: registering a taken email takes as long as a free one", async () => {
  const a = await startTestAuth({ AUTH_REGISTER_MAX_PER_WINDOW: "1000" });
  try {
    const email = uniqueEmail();
    await postJson(`${a.url}/v1/auth/register`, { email, password: PASSWORD });
    const [t, f] = await medianTimes(`${a.url}/v1/auth/register`, 201, [
      () => ({ email, password: PASSWORD }),
      () => ({ email: uniqueEmail(), password: PASSWORD }),
    ]);
    // Both hash the password, then insert (one conflicts): skipping the hash for a taken email
    // would make it an order of magnitude faster. The band allows a busy machine's noise.
    assert.ok(t > f * 0.35 && t < f * 2.5, `taken ${t} ms, free ${f} ms`);
    assert.ok(t > 10, `the KDF runs for a taken email too (${t} ms)`);
  } finally {
    await a.stop();
  }
});
