import assert from "node:assert/strict";
import { registerAndLogin } from "../../shared/testing/infra.ts";
import { wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";
import { browserTest, watchPage } from "./browser.ts";

/** What the page's EventSource saw: each message's channel:seq, and the last event id. */
interface Seen {
  messages: string[];
  lastEventId: string;
  errors: number;
}

browserTest(
  "Chromium's EventSource: a ticket opens the stream, a new ticket with lastEventId resumes it exactly",
  async (system, browser) => {
    const consumer = system.consumerUrls[0];
    const user = await registerAndLogin(system.authUrl);
    const channel = `es-${crypto.randomUUID().slice(0, 8)}`;
    const pub = await WsClient.connect(wsUrl(system.producerUrl), user.token);
    let n = 0;
    const publish = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const ack = await pub.request({
          id: ++n,
          type: "publish",
          channel,
          clientMsgId: `m${n}`,
          body: `body ${n}`,
        });
        assert.equal(ack.type, "ack");
      }
    };
    const page = await browser.newPage();
    const { problems } = watchPage(page);
    await page.goto(consumer);
    /** Opens an EventSource in the page with a fresh ticket, resuming after `resumeAt`. */
    const open = (resumeAt: string) =>
      page.evaluate(async ({ token, channel, resumeAt }) => {
        const res = await fetch("/v1/sse/tickets", {
          method: "POST",
          headers: { authorization: `Bearer ${token}` },
        });
        const { ticket } = await res.json();
        const query = new URLSearchParams({ channels: channel, ticket });
        if (resumeAt) query.set("lastEventId", resumeAt);
        const w = globalThis as unknown as { es: EventSource; seen: Seen };
        w.seen = { messages: [], lastEventId: "", errors: 0 };
        w.es = new EventSource(`/v1/sse?${query}`);
        w.es.onmessage = (e) => {
          const frame = JSON.parse(e.data);
          if (frame.type === "message") w.seen.messages.push(`${frame.channel}:${frame.seq}`);
          w.seen.lastEventId = e.lastEventId;
        };
        // Its own reconnect would present the spent ticket: count it, then stop it.
        w.es.onerror = () => {
          w.seen.errors++;
          w.es.close();
        };
        await new Promise((resolve) => w.es.addEventListener("open", resolve, { once: true }));
      }, { token: user.token, channel, resumeAt });
    const seen = () => page.evaluate(() => (globalThis as unknown as { seen: Seen }).seen);
    const until = async (count: number) => {
      const deadline = Date.now() + 15_000;
      while ((await seen()).messages.length < count) {
        assert.ok(Date.now() < deadline, `page saw ${JSON.stringify(await seen())}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return seen();
    };

    await open("");
    await publish(3);
    const first = await until(3);
    assert.deepEqual(first.messages, [1, 2, 3].map((s) => `${channel}:${s}`));
    assert.equal(first.lastEventId, `${channel}:3`);
    await page.evaluate(() => (globalThis as unknown as { es: EventSource }).es.close());

    await publish(4); // while no stream is open
    await open(first.lastEventId);
    await publish(1);
    const second = await until(5);
    assert.deepEqual(second.messages, [4, 5, 6, 7, 8].map((s) => `${channel}:${s}`));
    assert.equal(second.lastEventId, `${channel}:8`);
    assert.equal(second.errors, 0);
    assert.deepEqual(problems, []);
    await pub.close();
  },
);
