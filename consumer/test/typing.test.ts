import assert from "node:assert/strict";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import type { ServerFrame } from "../../shared/protocol/frames.ts";
import { api } from "./support.ts";

const isTyping = (f: ServerFrame) => f.type === "typing";

Deno.test("typing frames: relayed across instances to the channel's other users, never stored, rate limited", async (t) => {
  const system = await startDistributed({ consumers: 2 });
  const [c0, c1] = system.consumerUrls;
  const alice = await registerAndLogin(system.authUrl);
  const bob = await registerAndLogin(system.authUrl);
  const sockets: WsClient[] = [];
  const open = async (base: string, token: string, channels: string[]) => {
    const ws = await WsClient.connect(wsUrl(base), token);
    sockets.push(ws);
    for (const channel of channels) {
      const reply = await ws.request({ id: `sub-${channel}`, type: "subscribe", channel });
      assert.equal(reply.type, "subscribed", JSON.stringify(reply));
    }
    return ws;
  };
  try {
    const aliceHere = await open(c0, alice.token, ["general"]);
    // Alice's other session, on the other instance: her own typing is not echoed to it.
    const aliceThere = await open(c1, alice.token, ["general"]);
    const bobThere = await open(c1, bob.token, ["general"]);

    await t.step(
      "another instance's subscriber learns who types; the typist does not",
      async () => {
        aliceHere.send({ id: 1, type: "typing", channel: "general" });
        const seen = await bobThere.next(isTyping);
        assert.deepEqual(seen, { type: "typing", channel: "general", user: alice.userId });
        // Bob's reply travels back the same way; by then Alice's echo would have arrived too.
        bobThere.send({ id: 2, type: "typing", channel: "general" });
        assert.deepEqual(await aliceHere.next(isTyping), {
          type: "typing",
          channel: "general",
          user: bob.userId,
        });
        await aliceThere.next(isTyping); // Bob's
        assert.equal([...aliceHere.frames, ...aliceThere.frames].filter(isTyping).length, 0);
        assert.equal(aliceHere.frames.filter((f) => "id" in f && f.id === 1).length, 0, "no reply");
      },
    );

    await t.step("a second signal within a second is refused per socket", async () => {
      const refused = await aliceHere.request({ id: 3, type: "typing", channel: "general" });
      assert.equal(refused.type, "error");
      assert.equal(refused.type === "error" && refused.code, "RATE_LIMITED");
    });

    await t.step("typing where the socket is not subscribed is FORBIDDEN", async () => {
      const refused = await bobThere.request({ id: 4, type: "typing", channel: "elsewhere" });
      assert.equal(refused.type === "error" && refused.code, "FORBIDDEN");
      const invalid = await bobThere.request({ id: 5, type: "typing", channel: "bad channel!" });
      assert.equal(invalid.type === "error" && invalid.code, "INVALID");
    });

    await t.step("nothing is stored: the channel has no message", async () => {
      const history = await api(c0, bob.token, "GET", "/v1/channels/general/messages");
      assert.equal(history.status, 200);
      assert.deepEqual(history.body.messages, []);
    });
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await system.stop();
  }
});
