import assert from "node:assert/strict";
import { loadProducerConfig } from "../../producer/config/config.ts";
import { loadConsumerConfig } from "../../consumer/config/config.ts";
import { loadAuthConfig } from "../../auth/src/config.ts";
import { ConfigError } from "./env.ts";

const base = { DATABASE_URL: "postgres://u@127.0.0.1:5432/db", NATS_URL: "nats://127.0.0.1:4222" };

Deno.test("config: defaults fill a minimal environment", () => {
  const p = loadProducerConfig(base);
  assert.equal(p.port, 8080);
  assert.equal(p.limits.maxBodyBytes, 16 * 1024);
  assert.equal(p.broker.stream.duplicateWindowSeconds, 120);
  assert.equal(loadConsumerConfig(base).port, 8081);
  assert.equal(loadAuthConfig(base).grpcPort, 50051);
});

Deno.test("config: a bad value names the variable", () => {
  assert.throws(
    () => loadProducerConfig({ ...base, PRODUCER_PORT: "eighty" }),
    (err: unknown) => err instanceof ConfigError && /PRODUCER_PORT/.test(err.message),
  );
  assert.throws(
    () => loadConsumerConfig({ ...base, DATABASE_URL: "not a url" }),
    (err: unknown) => err instanceof ConfigError && /DATABASE_URL/.test(err.message),
  );
  assert.throws(
    () => loadProducerConfig({ ...base, STREAM_DUPLICATE_WINDOW_SECONDS: "30" }),
    (err: unknown) =>
      err instanceof ConfigError && /STREAM_DUPLICATE_WINDOW_SECONDS/.test(err.message),
  );
  assert.throws(
    () => loadAuthConfig({}),
    (err: unknown) => err instanceof ConfigError && /DATABASE_URL/.test(err.message),
  );
});
