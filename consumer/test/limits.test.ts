import assert from "node:assert/strict";
import type { ErrorFrame, PresenceFrame, ServerFrame } from "../../shared/protocol/frames.ts";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import { api } from "./support.ts";

/** Issue #14, item 5: the consumer's own limits, against real processes. */
Deno.test("consumer limits: subscribe churn, API rate, presence frames", async (t) => {
  const system = await startDistributed({
    consumers: 1,
    env: {
      SUBSCRIBE_RATE_PER_SECOND: "5",
      SUBSCRIBE_RATE_BURST: "20",
      API_RATE_PER_SECOND: "5",
      API_RATE_BURST: "15",
      PRESENCE_FLUSHES_PER_SECOND: "2",
    },
  });
  const [c0] = system.consumerUrls;
  const sockets: WsClient[] = [];
  const connect = async (token: string) => {
    const client = await WsClient.connect(wsUrl(c0), token);
    sockets.push(client);
    return client;
  };
  try {
    const [alice, bob] = await Promise.all([1, 2].map(() => registerAndLogin(system.authUrl)));

    await t.step("a socket's subscribe/unsubscribe frames are rate-limited", async () => {
      const ws = await connect(alice.token);
      for (let i = 0; i < 60; i++) {
        ws.send({ id: i, type: i % 2 ? "unsubscribe" : "subscribe", channel: "churn" });
      }
      // Pings are never limited (and, answered in order, mark the end of the burst's replies).
      assert.equal((await ws.request<ServerFrame>({ id: "p", type: "ping" })).type, "pong");
      await new Promise((r) => setTimeout(r, 500));
      const limited = ws.frames.filter((f) => f.type === "error" && f.code === "RATE_LIMITED");
      assert.ok(limited.length >= 35 && limited.length <= 40, `${limited.length} limited`);
      console.log(`subscribe churn: 60 frames at once, ${limited.length} RATE_LIMITED`);
    });

    await t.step(
      "a user's channel API requests are rate-limited, concurrency included",
      async () => {
        const replies = await Promise.all(
          Array.from({ length: 40 }, () => api(c0, bob.token, "GET", "/v1/channels")),
        );
        const limited = replies.filter((r) => r.status === 429);
        assert.ok(limited.length >= 23 && limited.length <= 25, `${limited.length} limited`);
        for (const r of limited) assert.equal(r.body.error.code, "RATE_LIMITED");
        // Another user has a budget of their own.
        assert.equal((await api(c0, alice.token, "GET", "/v1/channels")).status, 200);
        console.log(`API rate: 40 concurrent requests, ${limited.length} answered 429`);
      },
    );

    await t.step("presence frames per channel are bounded whatever the churn", async () => {
      const watcher = await WsClient.connect(wsUrl(c0), alice.token);
      sockets.push(watcher);
      const frames: { at: number; frame: PresenceFrame }[] = [];
      watcher.socket.addEventListener("message", (e) => {
        const f = JSON.parse(e.data as string) as ServerFrame;
        if (f.type === "presence" && f.channel === "busy") {
          frames.push({ at: Date.now(), frame: f });
        }
      });
      assert.equal(
        (await watcher.request<ServerFrame>({ id: 1, type: "subscribe", channel: "busy" }))
          .type,
        "subscribed",
      );
      // Five users on five sockets toggle their subscription every 50 ms for 2 s.
      const users = await Promise.all(
        Array.from({ length: 5 }, () => registerAndLogin(system.authUrl)),
      );
      const churners = await Promise.all(users.map((u) => connect(u.token)));
      const start = Date.now();
      let toggles = 0;
      await Promise.all(churners.map(async (ws) => {
        for (let i = 0; i < 40; i++) {
          await new Promise((r) => setTimeout(r, 50));
          const reply = await ws.request<ServerFrame>(
            i % 2
              ? { id: i, type: "unsubscribe", channel: "busy" }
              : { id: i, type: "subscribe", channel: "busy" },
          );
          if (reply.type !== "error") toggles++;
          else assert.equal((reply as ErrorFrame).code, "RATE_LIMITED");
        }
        // Whichever toggle got through last, everybody ends unsubscribed.
        await new Promise((r) => setTimeout(r, 250));
        assert.equal(
          (await ws.request<ServerFrame>({ id: "end", type: "unsubscribe", channel: "busy" })).type,
          "unsubscribed",
        );
      }));
      const churnMs = Date.now() - start;
      await new Promise((r) => setTimeout(r, 1_200)); // the last coalesced frame
      // 2 per second, plus one at the start of the first interval.
      const seconds = (Date.now() - start) / 1000;
      assert.ok(frames.length <= Math.ceil(seconds * 2) + 1, `${frames.length} frames`);
      // Net of the churn, everybody ended unsubscribed: the last word is that they left.
      const online = new Set<string>();
      for (const { frame } of frames) {
        for (const u of frame.joined) online.add(u);
        for (const u of frame.left) online.delete(u);
      }
      online.delete(alice.userId);
      assert.deepEqual([...online], []);
      console.log(
        `presence: ${toggles} toggles in ${churnMs} ms made ${frames.length} presence frames`,
      );
    });
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await system.stop();
  }
});
