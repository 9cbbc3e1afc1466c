import assert from "node:assert/strict";
import { sleep } from "../shared/async/sleep.ts";
import type { ErrorFrame, ServerFrame } from "../shared/protocol/frames.ts";
import { eventually } from "../shared/testing/eventually.ts";
import { freePort, registerAndLogin } from "../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../shared/testing/system.ts";
import { WsClient } from "../shared/testing/ws_client.ts";
import { verifyWebhook, webhookKey } from "../shared/webhooks/signature.ts";

/** The application's hook: checks the signature, counts every call, answers per user. */
class AppHook {
  readonly calls: { type: string; user: string; channel: string }[] = [];
  readonly allowed = new Set<string>();
  /** Users whose question is answered (allowed) only after `slowMs`: past any timeout. */
  readonly slow = new Set<string>();
  badSignatures = 0;
  private readonly server: Deno.HttpServer;

  constructor(readonly port: number, key: Uint8Array, slowMs: number) {
    this.server = Deno.serve(
      { hostname: "127.0.0.1", port, onListen: () => {} },
      async (req) => {
        const body = await req.text();
        if (!await verifyWebhook(key, req.headers, body)) {
          this.badSignatures++;
          return new Response(null, { status: 401 });
        }
        const { type, data } = JSON.parse(body);
        this.calls.push({ type, user: data.user, channel: data.channel });
        if (this.slow.has(data.user)) await sleep(slowMs);
        const allow = this.allowed.has(data.user) || this.slow.has(data.user);
        return Response.json({ allow });
      },
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/rtm/authorize`;
  }

  count(type: string, user: string, channel: string): number {
    return this.calls.filter((c) => c.type === type && c.user === user && c.channel === channel)
      .length;
  }

  stop(): Promise<void> {
    return this.server.shutdown();
  }
}

Deno.test("proxy hooks: the application decides subscribe and publish, cached, bounded, fail closed", async (t) => {
  const secret = `whsec_${
    btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
  }`;
  const hook = new AppHook(freePort(), webhookKey(secret), 6_000);
  const dir = await Deno.makeTempDir({ prefix: "rtm-hooks-" });
  await Deno.writeTextFile(
    `${dir}/namespaces.json`,
    JSON.stringify({
      app: { proxy: { url: hook.url, timeoutMs: 1_000, cacheTtlMs: 60_000 } },
      // Calls that stay out long enough for the bound to be reached on a loaded machine.
      crowd: { proxy: { url: hook.url, timeoutMs: 5_000 } },
      brief: { proxy: { url: hook.url, timeoutMs: 1_000, cacheTtlMs: 300, publish: false } },
    }),
  );
  const system = await startDistributed({
    env: {
      NAMESPACES_FILE: `${dir}/namespaces.json`,
      PROXY_HOOK_SECRET: secret,
      PROXY_HOOK_MAX_PENDING: "2",
    },
  });
  const sockets: WsClient[] = [];
  const open = async (base: string, token: string) => {
    const ws = await WsClient.connect(wsUrl(base), token);
    sockets.push(ws);
    return ws;
  };
  const consumer = system.consumerUrls[0];
  let n = 0;
  const subscribe = (ws: WsClient, channel: string) =>
    ws.request<ServerFrame>({ id: `s${++n}`, type: "subscribe", channel });
  const unsubscribe = (ws: WsClient, channel: string) =>
    ws.request({ id: `u${++n}`, type: "unsubscribe", channel });
  const publish = (ws: WsClient, channel: string, body: string) =>
    ws.request<ServerFrame>({ id: `p${++n}`, type: "publish", channel, clientMsgId: body, body });
  const code = (f: ServerFrame) => f.type === "error" ? (f as ErrorFrame).code : f.type;
  try {
    const [alice, bob, carol, dave] = await Promise.all(
      [1, 2, 3, 4].map(() => registerAndLogin(system.authUrl)),
    );
    hook.allowed.add(alice.userId);
    hook.slow.add(carol.userId);
    const room = "app:room";

    await t.step("allowed subscribes; the decision is reused within its TTL", async () => {
      const ws = await open(consumer, alice.token);
      assert.equal(code(await subscribe(ws, room)), "subscribed");
      assert.equal(code(await unsubscribe(ws, room)), "unsubscribed");
      assert.equal(code(await subscribe(ws, room)), "subscribed");
      assert.equal(hook.count("subscribe", alice.userId, room), 1, "one call within the TTL");
    });

    await t.step("refused is FORBIDDEN, and nothing reaches that socket", async () => {
      const ws = await open(consumer, bob.token);
      const refused = await subscribe(ws, room);
      assert.equal(code(refused), "FORBIDDEN");
      assert.match((refused as ErrorFrame).message, /the application refused subscribe/);
      const producer = await open(system.producerUrl, alice.token);
      assert.equal(code(await publish(producer, room, "for-alice")), "ack");
      await assert.rejects(ws.next((f) => f.type === "message", 1_000));
    });

    await t.step("Server-Sent Events alike: refused with 403, no decision 503", async () => {
      const stream = (user: { token: string }) =>
        fetch(`${consumer}/v1/sse?channels=${room}`, {
          headers: { authorization: `Bearer ${user.token}` },
        }).then(async (res) => (await res.body?.cancel(), res.status));
      assert.equal(await stream(bob), 403);
      assert.equal(await stream(carol), 503);
      assert.equal(await stream(alice), 200);
      assert.equal(hook.count("subscribe", alice.userId, room), 1, "still the first decision");
    });

    await t.step("a hook that does not answer in time is UNAVAILABLE, never a pass", async () => {
      const ws = await open(consumer, carol.token);
      const started = Date.now();
      const late = await subscribe(ws, room);
      assert.equal(code(late), "UNAVAILABLE");
      assert.ok(Date.now() - started < 5_000, "answered at the hook's timeout, not its answer");
      // Not cached: the next try asks again (and fails again the same way).
      assert.equal(code(await subscribe(ws, room)), "UNAVAILABLE");
      assert.equal(hook.count("subscribe", carol.userId, room), 3, "one more than the stream's");
      await assert.rejects(ws.next((f) => f.type === "message", 500));
    });

    await t.step("publish is asked on the producer: allowed, refused, too slow", async () => {
      const channel = "app:talk";
      const aliceOut = await open(system.producerUrl, alice.token);
      const bobOut = await open(system.producerUrl, bob.token);
      const carolOut = await open(system.producerUrl, carol.token);
      assert.equal(code(await publish(aliceOut, channel, "a-1")), "ack");
      assert.equal(code(await publish(aliceOut, channel, "a-2")), "ack");
      assert.equal(hook.count("publish", alice.userId, channel), 1, "one call within the TTL");
      assert.equal(code(await publish(bobOut, channel, "b-1")), "FORBIDDEN");
      assert.equal(code(await publish(carolOut, channel, "c-1")), "UNAVAILABLE");
      // In order per channel: once a later message is stored, an earlier one would be too.
      assert.equal(code(await publish(aliceOut, channel, "a-3")), "ack");
      const history = async () => {
        const res = await fetch(`${consumer}/v1/channels/${channel}/messages?after=0`, {
          headers: { authorization: `Bearer ${alice.token}` },
        });
        return ((await res.json()).messages as { body: string }[]).map((m) => m.body);
      };
      await eventually("a-3 stored", async () => (await history()).includes("a-3"));
      assert.deepEqual(await history(), ["a-1", "a-2", "a-3"]);
    });

    await t.step(
      "a namespace's actions: publish unhooked, subscribe asked again past the TTL",
      async () => {
        const ws = await open(consumer, alice.token);
        const channel = "brief:room";
        const daveOut = await open(system.producerUrl, dave.token);
        assert.equal(code(await publish(daveOut, channel, "d-1")), "ack", "publish: no hook");
        assert.equal(hook.count("publish", dave.userId, channel), 0);
        assert.equal(code(await subscribe(ws, channel)), "subscribed");
        await eventually("a second call after the TTL", async () => {
          assert.equal(code(await unsubscribe(ws, channel)), "unsubscribed");
          assert.equal(code(await subscribe(ws, channel)), "subscribed");
          return hook.count("subscribe", alice.userId, channel) === 2;
        });
      },
    );

    await t.step(
      "calls out at once are bounded: past the bound, refused before calling",
      async () => {
        hook.slow.add(dave.userId);
        hook.slow.add(bob.userId);
        const calls = hook.calls.length;
        const [c, d, b] = await Promise.all(
          [carol, dave, bob].map((u) => open(consumer, u.token)),
        );
        const answers = await Promise.all([c, d, b].map((ws) => subscribe(ws, "crowd:room")));
        assert.deepEqual(answers.map(code), ["UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE"]);
        const busy = answers.filter((f) =>
          /too many authorization calls/.test((f as ErrorFrame).message)
        );
        assert.equal(busy.length, 1, JSON.stringify(answers));
        assert.equal(hook.calls.length - calls, 2, "the third was never sent");
      },
    );
    assert.equal(hook.badSignatures, 0);
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await system.stop();
    await hook.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
