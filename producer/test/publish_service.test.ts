import assert from "node:assert/strict";
import { InProcessBroker } from "../../shared/broker/memory.ts";
import { AppError } from "../../shared/errors.ts";
import type { ChannelAccess } from "../../shared/ports/channel_access.ts";
import type { PublishObserver } from "../internal/domain/ports/publish_observer.ts";
import { PublishLane } from "../internal/domain/services/publish_lane.ts";
import { type PublishPolicy, PublishService } from "../internal/domain/services/publish_service.ts";

const USER = crypto.randomUUID();
const policy: PublishPolicy = {
  maxBodyBytes: 16,
  publishTimeoutMs: 200,
  connectionRate: { perSecond: 1, burst: 5 },
  userRate: { perSecond: 1, burst: 8 },
};

/** Channel access whose answer takes `delayMs(channel)`: lets a later publish overtake. */
function slowAccess(delayMs: (channel: string) => number): ChannelAccess {
  return {
    authorize: (_user, channel) => new Promise((r) => setTimeout(r, delayMs(channel))),
  };
}

function setup(access: ChannelAccess = slowAccess(() => 0)) {
  const results: string[] = [];
  const observer: PublishObserver = { published: (r) => results.push(r), logAppended: () => {} };
  const broker = new InProcessBroker();
  return { service: new PublishService(broker.log, access, policy, observer), results, broker };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return err instanceof AppError ? err.code : String(err);
  }
}

Deno.test("publish service: a lane stores in send order even when an earlier lookup is slow", async () => {
  const { service } = setup(slowAccess((c) => c === "slow" ? 50 : 0));
  const lane = service.openLane();
  const receipts = await Promise.all([
    service.publish(USER, { channel: "slow", clientMsgId: "a", body: "1" }, lane),
    service.publish(USER, { channel: "fast", clientMsgId: "b", body: "2" }, lane),
    service.publish(USER, { channel: "fast", clientMsgId: "c", body: "3" }, lane),
  ]);
  assert.deepEqual(receipts.map((r) => r.streamSeq), [1, 2, 3]);
});

Deno.test("publish service: a rejected publish does not hold up the lane", async () => {
  const { service } = setup();
  const lane = service.openLane();
  const codes = await Promise.all([
    codeOf(service.publish(USER, { channel: "c", clientMsgId: "a", body: "x".repeat(17) }, lane)),
    codeOf(service.publish(USER, { channel: "c", clientMsgId: "b", body: "ok" }, lane)),
  ]);
  assert.deepEqual(codes, ["TOO_LARGE", "ok"]);
});

Deno.test("publish service: bad ids never reach the log", async () => {
  const { service, broker } = setup();
  for (const channel of ["a.b", "*", ">", "", "x".repeat(65), "sp ace"]) {
    assert.equal(
      await codeOf(service.publish(USER, { channel, clientMsgId: "m", body: "b" })),
      "INVALID",
    );
  }
  assert.equal(
    await codeOf(service.publish(USER, { channel: "ok", clientMsgId: "a b", body: "b" })),
    "INVALID",
  );
  // The first message the log ever stores gets stream sequence 1.
  const r = await service.publish(USER, { channel: "ok", clientMsgId: "m", body: "b" });
  assert.equal(r.streamSeq, 1);
  await broker.close();
});

Deno.test("publish service: per-connection and per-user buckets, RATE_LIMITED with retry-after", async () => {
  const { service } = setup();
  const [one, two] = [service.openLane(), service.openLane()];
  const publish = (lane: typeof one, i: number) =>
    codeOf(service.publish(USER, { channel: "c", clientMsgId: `m${i}`, body: "b" }, lane));
  // The connection's burst of 5 binds first on one socket…
  const first = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => publish(one, i)));
  assert.deepEqual(first, ["ok", "ok", "ok", "ok", "ok", "RATE_LIMITED"]);
  // …and the user's burst of 8 across both sockets.
  const second = await Promise.all([10, 11, 12, 13].map((i) => publish(two, i)));
  assert.deepEqual(second, ["ok", "ok", "ok", "RATE_LIMITED"]);
  const err = await service.publish(USER, { channel: "c", clientMsgId: "z", body: "b" }, two)
    .catch((e) => e);
  assert.ok(err instanceof AppError && err.retryAfterSeconds! > 0);
  // Another user has a bucket of its own.
  await service.publish(crypto.randomUUID(), { channel: "c", clientMsgId: "z", body: "b" });
});

Deno.test("publish service: a publish refused for its rate holds its lane until it comes again", async () => {
  const broker = new InProcessBroker();
  const service = new PublishService(
    broker.log,
    slowAccess(() => 0),
    {
      ...policy,
      connectionRate: { perSecond: 20, burst: 2 },
      userRate: { perSecond: 1e6, burst: 1e6 },
    },
    { published: () => {}, logAppended: () => {} },
  );
  const lane = service.openLane();
  const publish = (id: string) =>
    service.publish(USER, { channel: "c", clientMsgId: id, body: "b" }, lane);
  assert.deepEqual(await Promise.all(["a", "b", "c"].map((id) => codeOf(publish(id)))), [
    "ok",
    "ok",
    "RATE_LIMITED",
  ]);
  // A token comes back within 50 ms; still, "d" may not overtake the refused "c"…
  await new Promise((resolve) => setTimeout(resolve, 120));
  const held = await publish("d").catch((e) => e);
  assert.ok(held instanceof AppError && held.code === "RATE_LIMITED", String(held));
  assert.match(held.message, /send it again first/);
  // …until "c" comes again; then the lane flows in order.
  const [c, d] = [
    await publish("c"),
    await new Promise((r) => setTimeout(r, 120)).then(() => publish("d")),
  ];
  assert.ok(c.streamSeq < d.streamSeq);
  // Another connection of the same user is not held back.
  await service.publish(USER, { channel: "c", clientMsgId: "e", body: "b" }, service.openLane());
  await broker.close();
});

Deno.test("publish lane: a refused publish that never comes again holds the lane for its wait + 2 s only", () => {
  let now = 0;
  const lane = new PublishLane({ perSecond: 1, burst: 1 }, () => now);
  lane.refused("c", 50);
  lane.refused("d", 500); // a later refusal does not take the hold over
  assert.equal(lane.heldBack("d"), 50);
  assert.equal(lane.heldBack("c"), undefined);
  now = 40;
  assert.equal(lane.heldBack("e"), 10);
  now = 50 + 2_000 - 1;
  assert.equal(lane.heldBack("e"), 0);
  now = 50 + 2_000;
  assert.equal(lane.heldBack("e"), undefined);
});

Deno.test("publish service: a hung channel directory answers UNAVAILABLE within the timeout", async () => {
  const { service } = setup({ authorize: () => new Promise(() => {}) });
  const started = performance.now();
  assert.equal(
    await codeOf(service.publish(USER, { channel: "c", clientMsgId: "a", body: "b" })),
    "UNAVAILABLE",
  );
  assert.ok(performance.now() - started < 1_000);
});

Deno.test("publish service: a retry is answered with the same receipt", async () => {
  const { service, results } = setup();
  const cmd = { channel: "c", clientMsgId: "same", body: "b" };
  const receipts = [
    await service.publish(USER, cmd),
    await service.publish(USER, cmd),
    await service.publish(USER, cmd),
  ];
  assert.deepEqual(receipts[1], receipts[0]);
  assert.deepEqual(receipts[2], receipts[0]);
  assert.deepEqual(results, ["ok", "duplicate", "duplicate"]);
});

Deno.test("publish service: drain waits for in-flight publishes, then refuses new ones", async () => {
  const { service } = setup(slowAccess(() => 100));
  const inFlight = service.publish(USER, { channel: "c", clientMsgId: "a", body: "b" });
  await service.drain(5_000);
  assert.equal((await inFlight).streamSeq, 1);
  assert.equal(
    await codeOf(service.publish(USER, { channel: "c", clientMsgId: "b", body: "b" })),
    "UNAVAILABLE",
  );
});
