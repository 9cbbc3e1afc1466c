import assert from "node:assert/strict";
import { PgApiKeys } from "../../shared/apikeys/pg_api_keys.ts";
import { connectPostgres } from "../../shared/db/postgres.ts";
import { startDistributed } from "../../shared/testing/system.ts";
import type { ConnectionStatus } from "../sdk/mod.ts";
import { newClient, sleep } from "./support.ts";
import { eventually } from "../../shared/testing/eventually.ts";

Deno.test("SDK: a user disconnected by the backend's server API stays disconnected", async () => {
  const system = await startDistributed();
  const sql = connectPostgres(system.databaseUrl, { max: 1 });
  const statuses: ConnectionStatus[] = [];
  const client = await newClient(system, { onStatus: (s) => statuses.push(s) });
  const status = (): ConnectionStatus => client.connectionStatus;
  try {
    await client.subscribe(`dc-${crypto.randomUUID().slice(0, 8)}`, () => {});
    assert.equal(client.connectionStatus, "online");
    const { key } = await new PgApiKeys(sql).create("moderator", ["moderate"]);
    const res = await fetch(
      `${system.consumerUrls[0]}/v1/server/users/${client.userId}/disconnect`,
      {
        method: "POST",
        headers: { authorization: `ApiKey ${key}` },
      },
    );
    assert.equal(res.status, 202);
    await res.body?.cancel();
    await eventually("the client closed", () => status() === "closed");
    // Longer than the SDK's first reconnect delay: it did not try again.
    await sleep(1_500);
    assert.equal(status(), "closed");
    assert.ok(!statuses.includes("reconnecting"), statuses.join(" → "));
  } finally {
    client.close();
    await sql.end();
    await system.stop();
  }
});
