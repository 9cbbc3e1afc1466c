import assert from "node:assert/strict";
import { eventually } from "../../shared/testing/eventually.ts";
import { startDistributed } from "../../shared/testing/system.ts";
import { connect, type Receipt, register, RtmError } from "../sdk/mod.ts";
import { endpointsOf, newClient } from "./support.ts";

Deno.test("SDK: onReceipt on the reader's other session and the DM peer; search pages", async () => {
  const system = await startDistributed();
  const endpoints = endpointsOf(system);
  const credentials = {
    email: `sdk-${crypto.randomUUID()}@example.com`,
    password: "correct horse battery",
  };
  await register(endpoints, credentials);
  const alice = await connect({ ...endpoints, credentials });
  const aliceTab2 = await connect({ ...endpoints, credentials });
  const bob = await newClient(system);
  try {
    const dm = (await bob.openDirect(alice.userId)).id;
    await bob.subscribe(dm, () => {});
    // A socket hears of receipts from its first frame on, as of membership changes.
    await aliceTab2.subscribe(dm, () => {});
    const received = { tab2: [] as Receipt[], bob: [] as Receipt[] };
    aliceTab2.onReceipt((r) => received.tab2.push(r));
    const stopBob = bob.onReceipt((r) => received.bob.push(r));
    for (const body of ["find the needle", "hay", "another needle"]) await alice.publish(dm, body);
    await eventually("stored", async () => (await alice.history(dm)).lastSeq === 3);

    await alice.markRead(dm, 3);
    const expected = { channel: dm, user: alice.userId, seq: 3 };
    await eventually("both told", () => received.tab2.length > 0 && received.bob.length > 0);
    assert.deepEqual(received.tab2, [expected]);
    assert.deepEqual(received.bob, [expected]);
    const dmSummary = (await bob.channels()).find((c) => c.id === dm);
    assert.equal(dmSummary?.peerLastReadSeq, 3);

    // A stopped listener hears nothing more; the other still does.
    stopBob();
    await alice.markRead(dm, 3);
    await eventually("tab 2 told again", () => received.tab2.length === 2);
    assert.equal(received.bob.length, 1);

    const first = await bob.search("needle", { limit: 1 });
    assert.deepEqual(first.results.map((m) => m.body), ["another needle"]);
    assert.ok(first.next);
    const second = await bob.search("needle", { limit: 1, before: first.next });
    assert.deepEqual(second.results.map((m) => m.body), ["find the needle"]);
    const third = await bob.search("needle", { limit: 1, before: second.next });
    assert.deepEqual(third, { results: [] });
    await assert.rejects(
      bob.search("x".repeat(201)),
      (err) => err instanceof RtmError && err.code === "INVALID",
    );
  } finally {
    for (const c of [alice, aliceTab2, bob]) c.close();
    await system.stop();
  }
});
