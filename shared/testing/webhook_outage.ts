import { connectPostgres, type Sql } from "../db/postgres.ts";
import { webhookKey } from "../webhooks/signature.ts";
import { freePort } from "./infra.ts";
import { type NatsServerProcess, startNatsServer } from "./nats_server.ts";
import { type DistributedSystem, startDistributed } from "./system.ts";
import { WebhookReceiver } from "./webhook_receiver.ts";

/** A random Standard Webhooks secret. */
export function webhookSecret(): string {
  return `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
}

/**
 * For outage tests of the event outbox: a system with webhooks to a receiver, on a NATS server of
 * its own (stopped and restarted by the test), and a connection to its database.
 */
export async function startWebhookOutage(): Promise<{
  app: WebhookReceiver;
  nats: NatsServerProcess;
  system: DistributedSystem;
  sql: Sql;
  stop(): Promise<void>;
}> {
  const secret = webhookSecret();
  const app = new WebhookReceiver(freePort(), webhookKey(secret));
  app.start();
  const nats = await startNatsServer();
  const system = await startDistributed({
    natsUrl: nats.url,
    env: { WEBHOOK_URLS: app.url, WEBHOOK_SECRET: secret },
  });
  const sql = connectPostgres(system.databaseUrl, { max: 1 });
  return {
    app,
    nats,
    system,
    sql,
    stop: async () => {
      await sql.end();
      await system.stop();
      await app.stop();
      await nats.stop();
      await Deno.remove(nats.storeDir, { recursive: true });
    },
  };
}
