import assert from "node:assert/strict";
import { loadConsumerSettings } from "../../consumer/config/config.ts";
import { loadProducerSettings } from "../../producer/config/config.ts";
import { ConfigError } from "../config/env.ts";

const SECRET = `whsec_${btoa("k".repeat(32))}`;

/** Proxy hooks are checked when a service starts: a bad one never starts. */
Deno.test("proxy hook settings: validated at start by producer and consumer alike", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rtm-hook-config-" });
  const file = async (namespaces: unknown) => {
    const path = `${dir}/${crypto.randomUUID()}.json`;
    await Deno.writeTextFile(path, JSON.stringify(namespaces));
    return path;
  };
  try {
    const good = await file({ app: { proxy: { url: "https://app.example/hook" } } });
    for (const load of [loadConsumerSettings, loadProducerSettings]) {
      const config = load({ NAMESPACES_FILE: good, PROXY_HOOK_SECRET: SECRET });
      assert.deepEqual(config.namespaces.hook("app:x", "subscribe"), {
        url: "https://app.example/hook",
        subscribe: true,
        publish: true,
        timeoutMs: 1_000,
        cacheTtlMs: 5_000,
      });
      assert.equal(config.proxyHooks.maxPending, 256);
      assert.equal(config.namespaces.hook("x", "publish"), undefined, "no namespace, no hook");

      assert.throws(() => load({ NAMESPACES_FILE: good }), ConfigError);
      assert.throws(
        () => load({ NAMESPACES_FILE: good }),
        /PROXY_HOOK_SECRET: required when a namespace has a proxy hook/,
      );
      for (
        const [proxy, why] of [
          [{ url: "ftp://app.example/hook" }, /app\.proxy\.url/],
          [{ url: "https://app.example/hook", timeoutMs: 60_000 }, /app\.proxy\.timeoutMs/],
          [{ url: "https://app.example/hook", cacheTtlMs: -1 }, /app\.proxy\.cacheTtlMs/],
          [{ url: "https://app.example/hook", retries: 3 }, /app\.proxy/],
        ] as const
      ) {
        const path = await file({ app: { proxy } });
        assert.throws(() => load({ NAMESPACES_FILE: path, PROXY_HOOK_SECRET: SECRET }), why);
      }
      assert.throws(
        () => load({ NAMESPACES_FILE: good, PROXY_HOOK_SECRET: "plain" }),
        /PROXY_HOOK_SECRET/,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
