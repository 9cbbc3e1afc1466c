import assert from "node:assert/strict";
import { sleep } from "../../shared/async/sleep.ts";
import { collector } from "../../web/test/support.ts";
import { connect, type Message, register, type RtmClient, RtmError } from "../../web/sdk/mod.ts";

/**
 * What the compose test asks of the running stack, through the SDK as an application would:
 * the README's flow, then acked messages surviving a stopped consumer and a stopped NATS.
 */
export interface Urls {
  authUrl: string;
  producerUrl: string;
  consumerUrl: string;
}

const password = "correct horse battery";

async function newUser(urls: Urls): Promise<{ email: string }> {
  const email = `compose-${crypto.randomUUID()}@example.com`;
  await register(urls, { email, password });
  return { email };
}

function login(urls: Urls, email: string): Promise<RtmClient> {
  return connect({ ...urls, credentials: { email, password } });
}

/** Register, login, subscribe, publish and ack, live delivery, `since` after a reconnect, history. */
export async function readmeFlow(urls: Urls): Promise<void> {
  const alice = await newUser(urls);
  const bob = await newUser(urls);
  const channel = `compose-${crypto.randomUUID().slice(0, 8)}`;
  const publisher = await login(urls, alice.email);
  const reader = await login(urls, bob.email);
  try {
    const live = collector();
    const sub = await reader.subscribe(channel, live.onMessage);
    const first = ["hello", "from", "compose"];
    for (const body of first) {
      const ack = await publisher.publish(channel, body);
      assert.equal(ack.type, "ack");
      assert.equal(ack.channel, channel);
    }
    await live.until(first.length);
    assert.deepEqual(live.messages.map((m) => [m.seq, m.body]), [[1, "hello"], [2, "from"], [
      3,
      "compose",
    ]]);
    assert.ok(live.messages.every((m) => m.sender === publisher.userId));

    // The reader goes away; what is published meanwhile arrives after `since` on its return.
    sub.unsubscribe();
    reader.close();
    for (const body of ["while", "away"]) await publisher.publish(channel, body);
    const back = await login(urls, bob.email);
    try {
      const caughtUp = collector();
      await back.subscribe(channel, caughtUp.onMessage, { since: 3 });
      await caughtUp.until(2);
      assert.deepEqual(caughtUp.messages.map((m) => [m.seq, m.body]), [[4, "while"], [5, "away"]]);

      const page = await back.history(channel, { limit: 10 });
      assert.deepEqual(page.messages.map((m) => m.body), [...first, "while", "away"]);
    } finally {
      back.close();
    }
  } finally {
    publisher.close();
    reader.close();
  }
}

/** Each service's operator surface: ready (every dependency up) and its process metrics. */
export async function serviceSurfaces(urls: Urls): Promise<void> {
  for (const base of [urls.authUrl, urls.producerUrl, urls.consumerUrl]) {
    const ready = await fetch(`${base}/ready`);
    const body = await ready.text();
    assert.equal(ready.status, 200, `${base}/ready: ${body}`);
    assert.match(await (await fetch(`${base}/metrics`)).text(), /process_resident_memory_bytes/);
  }
}

/** The chat page and its script (bundled inside the consumer container on first request). */
export async function chatPage(consumerUrl: string): Promise<void> {
  for (const path of ["/", "/app.js", "/style.css"]) {
    const res = await fetch(`${consumerUrl}${path}`);
    await res.body?.cancel();
    assert.equal(res.status, 200, `${path} answered ${res.status}`);
  }
}

/**
 * Publishes steadily (bounded: at most `maxMessages`, one every `intervalMs`) while `disrupt`
 * runs, then checks every acked message is in history once the stack has recovered. Publishes
 * the SDK gives up on (not acked) are allowed, e.g. UNAVAILABLE when an outage outlasts its publish
 * timeout; an acked one missing is the failure.
 */
export async function noAckedLoss(
  urls: Urls,
  disrupt: () => Promise<void>,
  { intervalMs = 40, maxMessages = 2000 } = {},
): Promise<{ acked: number; unacked: Record<string, number> }> {
  const user = await newUser(urls);
  const client = await login(urls, user.email);
  const channel = `compose-load-${crypto.randomUUID().slice(0, 8)}`;
  const acked = new Set<string>();
  const unacked: Record<string, number> = {};
  let stop = false;
  const inFlight: Promise<void>[] = [];
  try {
    const load = (async () => {
      for (let i = 0; i < maxMessages && !stop; i++) {
        const clientMsgId = crypto.randomUUID();
        inFlight.push(
          client.publish(channel, `load ${i}`, { clientMsgId }).then(
            () => void acked.add(clientMsgId),
            (err) => {
              const code = err instanceof RtmError ? err.code : String(err);
              unacked[code] = (unacked[code] ?? 0) + 1;
            },
          ),
        );
        await sleep(intervalMs);
      }
    })();
    await disrupt();
    stop = true;
    await load;
    await Promise.all(inFlight);
    assert.ok(acked.size > 0, "nothing was acked");
    await untilInHistory(client, channel, acked);
    return { acked: acked.size, unacked };
  } finally {
    stop = true;
    client.close();
  }
}

/** Pages through the channel's history until every id in `ids` is there (or times out). */
async function untilInHistory(
  client: RtmClient,
  channel: string,
  ids: Set<string>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing = ids.size;
  while (Date.now() < deadline) {
    const seen = new Set<string>();
    let after = 0;
    while (true) {
      const page = await client.history(channel, { after, limit: 100 }).catch(() => undefined);
      if (!page || page.messages.length === 0) break;
      page.messages.forEach((m: Message) => seen.add(m.clientMsgId));
      after = page.messages.at(-1)!.seq;
    }
    missing = [...ids].filter((id) => !seen.has(id)).length;
    if (missing === 0) return;
    await sleep(1000);
  }
  throw new Error(`${missing} of ${ids.size} acked messages never reached history`);
}
