import { connect, type Message, register, type RtmClient } from "../sdk/mod.ts";
import type { DistributedSystem } from "../../shared/testing/system.ts";
import { type ServiceProcess, spawnService } from "../../shared/testing/infra.ts";

/** A fresh account, connected through the SDK with its credentials. */
export async function newClient(
  system: DistributedSystem,
  extra: Partial<Parameters<typeof connect>[0]> = {},
): Promise<RtmClient> {
  const endpoints = endpointsOf(system);
  const credentials = {
    email: `sdk-${crypto.randomUUID()}@example.com`,
    password: "correct horse battery",
  };
  await register(endpoints, credentials);
  return connect({ ...endpoints, credentials, ...extra } as Parameters<typeof connect>[0]);
}

export function endpointsOf(system: DistributedSystem) {
  return {
    authUrl: system.authUrl,
    producerUrl: system.producerUrl,
    consumerUrl: system.consumerUrls[0],
  };
}

/** Starts a stopped service again on the same port, as an operator's restart would. */
export function restart(
  system: DistributedSystem,
  service: "producer" | "consumer",
  port: number,
): Promise<ServiceProcess> {
  const portVar = service === "producer" ? "PRODUCER_PORT" : "CONSUMER_PORT";
  return spawnService(
    `${service}/cmd/main.ts`,
    { ...system.env, [portVar]: String(port) },
    `http://127.0.0.1:${port}/health`,
    port,
  );
}

/** Collects a subscription's messages; `until` waits for a count (or fails after a timeout). */
export function collector() {
  const messages: Message[] = [];
  let waiter: { count: number; resolve(): void } | undefined;
  return {
    messages,
    onMessage: (m: Message) => {
      messages.push(m);
      if (waiter && messages.length >= waiter.count) waiter.resolve();
    },
    until: (count: number, timeoutMs = 20_000) =>
      messages.length >= count ? Promise.resolve() : new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`got ${messages.length} of ${count} messages`)),
          timeoutMs,
        );
        waiter = {
          count,
          resolve: () => {
            clearTimeout(timer);
            waiter = undefined;
            resolve();
          },
        };
      }),
  };
}

export { sleep } from "../../shared/async/sleep.ts";
