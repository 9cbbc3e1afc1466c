import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { loadAuthConfig } from "../src/config.ts";
import { peerIp } from "../src/grpc.ts";
import { grpcFails, PASSWORD, startTestAuth, uniqueEmail } from "./harness.ts";

interface GrpcTokens {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
  user: { id: string; email: string; display_name: string };
}

Deno.test("auth gRPC: the whole token lifecycle over a real local port", async (t) => {
  const a = await startTestAuth();
  const { call } = a.grpc;
  try {
    const email = uniqueEmail();
    let login: GrpcTokens;

    await t.step("Register, GenerateToken, ValidateToken", async () => {
      const user = await call<GrpcTokens["user"]>("Register", {
        email: email.toUpperCase(),
        password: PASSWORD,
        display_name: "Grace\u0000",
      });
      assert.equal(user.email, email);
      assert.equal(user.display_name, "Grace");
      login = await call<GrpcTokens>("GenerateToken", { email, password: PASSWORD });
      assert.equal(login.token_type, "Bearer");
      assert.equal(login.expires_in, 900);
      assert.ok(login.refresh_token.length >= 40);
      assert.ok(login.refresh_expires_in > 0);
      assert.equal(login.user.display_name, "Grace");
      const v = await call<{ user_id: string }>("ValidateToken", { token: login.access_token });
      assert.equal(v.user_id, login.user.id);
    });

    await t.step(
      "RefreshToken rotates; a replay is UNAUTHENTICATED and kills the family",
      async () => {
        const next = await call<GrpcTokens>("RefreshToken", { refresh_token: login.refresh_token });
        assert.notEqual(next.refresh_token, login.refresh_token);
        assert.equal(next.user.email, email);
        await grpcFails(
          call("RefreshToken", { refresh_token: login.refresh_token }),
          grpc.status.UNAUTHENTICATED,
        );
        await grpcFails(
          call("RefreshToken", { refresh_token: next.refresh_token }),
          grpc.status.UNAUTHENTICATED,
        );
      },
    );

    await t.step(
      "RevokeToken ends a login; its refresh token is then UNAUTHENTICATED",
      async () => {
        const fresh = await call<GrpcTokens>("GenerateToken", { email, password: PASSWORD });
        assert.deepEqual(await call("RevokeToken", { refresh_token: fresh.refresh_token }), {});
        const err = await grpcFails(
          call("RefreshToken", { refresh_token: fresh.refresh_token }),
          grpc.status.UNAUTHENTICATED,
        );
        assert.deepEqual(err.metadata.get("error-code"), ["UNAUTHENTICATED"]);
      },
    );

    await t.step("INVALID_ARGUMENT: bad email, weak password, missing fields", async () => {
      for (
        const req of [
          { email: "nope", password: PASSWORD },
          { email: uniqueEmail(), password: "short" },
          { email: uniqueEmail(), password: "x".repeat(129) },
          { email: uniqueEmail() },
          {},
        ]
      ) {
        const err = await grpcFails(call("Register", req), grpc.status.INVALID_ARGUMENT);
        assert.deepEqual(err.metadata.get("error-code"), ["INVALID"]);
      }
      await grpcFails(call("GenerateToken", { email }), grpc.status.INVALID_ARGUMENT);
      await grpcFails(call("ValidateToken", {}), grpc.status.INVALID_ARGUMENT);
      await grpcFails(call("RefreshToken", {}), grpc.status.INVALID_ARGUMENT);
      await grpcFails(call("RevokeToken", {}), grpc.status.INVALID_ARGUMENT);
    });

    await t.step("Register: a taken email answers exactly as a new one", async () => {
      const taken = await call("Register", { email, password: PASSWORD });
      const free = await call("Register", { email: uniqueEmail(), password: PASSWORD });
      assert.deepEqual(taken, { id: "", email, display_name: email.split("@")[0], created_at: "" });
      assert.deepEqual(Object.keys(taken), Object.keys(free));
    });

    await t.step("UNAUTHENTICATED: wrong password, unknown email, bad tokens", async () => {
      const wrong = await grpcFails(
        call("GenerateToken", { email, password: "wrong password" }),
        grpc.status.UNAUTHENTICATED,
      );
      const unknown = await grpcFails(
        call("GenerateToken", { email: uniqueEmail(), password: PASSWORD }),
        grpc.status.UNAUTHENTICATED,
      );
      assert.equal(wrong.details, unknown.details);
      await grpcFails(call("ValidateToken", { token: "a.b.c" }), grpc.status.UNAUTHENTICATED);
      await grpcFails(
        call("RefreshToken", { refresh_token: "never-issued" }),
        grpc.status.UNAUTHENTICATED,
      );
    });

    await t.step("a message over 64 KiB is refused by grpc-js, not processed", async () => {
      await grpcFails(
        call("GenerateToken", { email, password: "x".repeat(1024 * 1024) }),
        grpc.status.RESOURCE_EXHAUSTED,
      );
    });
  } finally {
    await a.stop();
  }
});

Deno.test("auth gRPC: throttled after the limit with RESOURCE_EXHAUSTED and a retry-after", async () => {
  const a = await startTestAuth({ AUTH_THROTTLE_MAX_FAILURES: "3" });
  const { call } = a.grpc;
  try {
    const email = uniqueEmail();
    await call("Register", { email, password: PASSWORD });
    for (let i = 0; i < 3; i++) {
      await grpcFails(
        call("GenerateToken", { email, password: "wrong password" }),
        grpc.status.UNAUTHENTICATED,
      );
    }
    // Even the right password waits now: the guesser cannot tell.
    const err = await grpcFails(
      call("GenerateToken", { email, password: PASSWORD }),
      grpc.status.RESOURCE_EXHAUSTED,
    );
    assert.deepEqual(err.metadata.get("error-code"), ["RATE_LIMITED"]);
    const retryAfter = Number(err.metadata.get("retry-after")[0]);
    assert.ok(retryAfter > 0 && retryAfter <= 60, `retry-after ${retryAfter}`);
  } finally {
    await a.stop();
  }
});

Deno.test("auth gRPC: peer addresses reduce to the IP", () => {
  assert.equal(peerIp("127.0.0.1:5000"), "127.0.0.1");
  assert.equal(peerIp("ipv4:10.1.2.3:443"), "10.1.2.3");
  assert.equal(peerIp("[::1]:5000"), "::1");
  assert.equal(peerIp("ipv6:[2001:db8::1]:5000"), "2001:db8::1");
});

/** An address of this machine other than loopback (absent in a network-less sandbox). */
const outside = Deno.networkInterfaces().find((i) =>
  i.family === "IPv4" && !i.address.startsWith("127.")
);

Deno.test({
  name: "auth gRPC: plaintext, so bound to loopback unless told otherwise",
  ignore: !outside,
  fn: async () => {
    assert.equal(
      loadAuthConfig({ DATABASE_URL: "postgres://u@localhost/db" }).grpcHost,
      "127.0.0.1",
    );
    const a = await startTestAuth();
    try {
      await a.grpc.call("Register", { email: uniqueEmail(), password: PASSWORD });
      await assert.rejects(
        Deno.connect({ hostname: outside!.address, port: a.auth.grpcPort }),
        Deno.errors.ConnectionRefused,
      );
    } finally {
      await a.stop();
    }
  },
});
