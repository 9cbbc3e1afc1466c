import assert from "node:assert/strict";
import type { ServiceProcess } from "../../shared/testing/infra.ts";
import { eventually } from "../../shared/testing/eventually.ts";
import { startDistributed } from "../../shared/testing/system.ts";
import type { UserPresence } from "../sdk/mod.ts";
import { endpointsOf, newClient, restart } from "./support.ts";

Deno.test("SDK user presence: what changed while the socket was away arrives after the reconnect", async () => {
  const system = await startDistributed({ consumers: 2 });
  const restarted: ServiceProcess[] = [];
  const ada = await newClient(system);
  const bob = await newClient(system, {
    ...endpointsOf(system),
    consumerUrl: system.consumerUrls[1],
  });
  try {
    // Bob's socket counts from its first frame: it is on no channel yet, so he is offline.
    await ada.openDirect(bob.userId);
    const heard: UserPresence[] = [];
    ada.onUserPresence((users) => heard.push(...users));
    assert.deepEqual(await ada.userPresence([bob.userId]), [
      { id: bob.userId, online: false, lastSeen: null },
    ]);

    // Ada's consumer goes away; meanwhile Bob comes online on the other one (no push reaches her).
    const consumer = system.consumers[0];
    await consumer.stop("SIGKILL");
    await bob.subscribe(`lobby-${crypto.randomUUID().slice(0, 6)}`, () => {});
    restarted.push(await restart(system, "consumer", consumer.port));

    // Back on her socket, the SDK asks again and tells her as a push would have.
    await eventually(
      "bob online told after the reconnect",
      () => heard.some((u) => u.id === bob.userId && u.online),
    );
  } finally {
    ada.close();
    bob.close();
    await Promise.all(restarted.map((p) => p.stop()));
    await system.stop();
  }
});
