import assert from "node:assert/strict";
import type { MessageFrame } from "../../shared/protocol/frames.ts";
import { eventually } from "../../shared/testing/eventually.ts";
import { login, registerAndLogin } from "../../shared/testing/infra.ts";
import { SseClient, type SseEvent } from "../../shared/testing/sse_client.ts";
import { startDistributed, wsUrl } from "../../shared/testing/system.ts";
import { WsClient } from "../../shared/testing/ws_client.ts";

const TOKEN_SECONDS = 6;

/** The next `count` events of `type`, skipping others (presence). */
async function eventsOf(client: SseClient, type: string, count: number): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  while (events.length < count) {
    const e = await client.next();
    if (e.frame.type === type) events.push(e);
  }
  return events;
}

Deno.test("consumer: SSE streams the socket's messages, resumes exactly with Last-Event-ID, checks tickets and caps, ends at token expiry", async () => {
  const system = await startDistributed({
    env: { ACCESS_TOKEN_TTL_SECONDS: String(TOKEN_SECONDS), MAX_CONNECTIONS_PER_USER: "3" },
  });
  const consumer = system.consumerUrls[0];
  try {
    const user = await registerAndLogin(system.authUrl);
    const tag = crypto.randomUUID().slice(0, 8);
    const [a, b] = [`sse-a-${tag}`, `sse-b-${tag}`];
    const pub = await WsClient.connect(wsUrl(system.producerUrl), user.token);
    let n = 0;
    const publish = async (channel: string) => {
      const ack = await pub.request({
        id: ++n,
        type: "publish",
        channel,
        clientMsgId: `m${n}`,
        body: `body ${n}`,
      });
      assert.equal(ack.type, "ack");
    };
    await publish(a); // seq a:1, before the stream: not delivered without a resume point
    // Acked is in JetStream; the stream's head is read from PostgreSQL: wait until it is there.
    const auth0 = { authorization: `Bearer ${user.token}` };
    await eventually(`${a}:1 stored`, async () => {
      const res = await fetch(`${consumer}/v1/channels/${a}/messages`, { headers: auth0 });
      return (await res.json()).lastSeq === 1;
    });
    const url = `${consumer}/v1/sse?channels=${a},${b}`;
    const auth = async () => ({
      authorization: `Bearer ${(await login(system.authUrl, user.email)).token}`,
    });

    const first = await SseClient.open(url, await auth());
    // Each `subscribed` carries the cursor so far: its channel at the head, then the others.
    const subscribed = await eventsOf(first, "subscribed", 2);
    assert.ok(
      [`${b}:0,${a}:1`, `${a}:1,${b}:0`].includes(subscribed[1].id!),
      `cursor ${subscribed[1].id}`,
    );
    await publish(a); // a:2
    await publish(b); // b:1
    const seen = await eventsOf(first, "message", 2);
    // Order holds per channel; across channels the later event's id names both positions.
    const pos = seen.map((e) =>
      `${(e.frame as MessageFrame).channel}:${(e.frame as MessageFrame).seq}`
    );
    assert.deepEqual([...pos].sort(), [`${a}:2`, `${b}:1`].sort());
    assert.equal(seen[1].id, `${pos[1]},${pos[0]}`, JSON.stringify(seen));
    await first.close();

    // Gone: messages published meanwhile are delivered on resume, once each, in order.
    for (const channel of [a, b, a, a, b]) await publish(channel);
    const resumed = await SseClient.open(url, {
      ...await auth(),
      "last-event-id": seen[1].id!,
    });
    const events = await eventsOf(resumed, "message", 5);
    const got = (channel: string) =>
      events.map((e) => e.frame).filter((f): f is MessageFrame =>
        f.type === "message" && f.channel === channel
      ).map((f) => f.seq);
    assert.deepEqual(got(a), [3, 4, 5]);
    assert.deepEqual(got(b), [2, 3]);
    await resumed.close();

    // A ticket opens one stream, once; an access token in the URL is no way in.
    const issue = await fetch(`${consumer}/v1/sse/tickets`, {
      method: "POST",
      headers: await auth(),
    });
    assert.equal(issue.status, 201);
    const { ticket } = await issue.json();
    const byTicket = await SseClient.open(`${url}&ticket=${encodeURIComponent(ticket)}`);
    await eventsOf(byTicket, "subscribed", 2);
    await byTicket.close();
    const again = await fetch(`${url}&ticket=${encodeURIComponent(ticket)}`);
    assert.equal(again.status, 401);
    await again.body?.cancel();
    const token = (await login(system.authUrl, user.email)).token;
    const inUrl = await fetch(`${url}&access_token=${token}`);
    assert.equal(inUrl.status, 401);
    await inUrl.body?.cancel();
    const badCursor = await fetch(url, { headers: { ...await auth(), "last-event-id": "x" } });
    assert.equal(badCursor.status, 400);
    await badCursor.body?.cancel();

    // Streams count against the per-user cap as sockets do (apart from them).
    const open = await Promise.all([1, 2, 3].map(async () => SseClient.open(url, await auth())));
    const over = await fetch(url, { headers: await auth() });
    assert.equal(over.status, 429, await over.clone().text());
    assert.match((await over.json()).error.message, /too many connections for this user/);
    for (const stream of open) await stream.close();

    // The stream ends when its token does, with a last error event.
    const expiring = await SseClient.open(url, await auth());
    let last: SseEvent;
    do last = await expiring.next((TOKEN_SECONDS + 5) * 1000); while (last.frame.type !== "error");
    assert.equal(last.frame.code, "UNAUTHENTICATED");
    await expiring.ended;
    await pub.close();
  } finally {
    await system.stop();
  }
});
