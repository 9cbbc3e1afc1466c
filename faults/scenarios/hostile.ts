import { registerAndLogin } from "../../shared/testing/infra.ts";
import { wsUrl } from "../../shared/testing/system.ts";
import { fuzzHttp } from "../hostile/http_bodies.ts";
import { checkConnectionFlood, checkFrameSizes, checkHostileChannels } from "../hostile/limits.ts";
import { checkExpiryCloses, checkTokens } from "../hostile/tokens.ts";
import { fuzzFrames } from "../hostile/ws_frames.ts";
import { TOPOLOGY_ENV } from "../profiles.ts";
import type { FaultOutcome, RunningLoad, SuiteContext } from "../scenario.ts";

/**
 * 6. Hostile input while the load flows: property-based fuzzing of every WebSocket and HTTP
 * surface, bad tokens, hostile channel names, oversize frames and a connection flood. Nothing may
 * crash, answer a client's mistake with a 5xx, or disturb the load (reconciled as usual).
 */
export async function hostileInput(
  ctx: SuiteContext,
  _running: RunningLoad,
): Promise<FaultOutcome> {
  const { topology, profile } = ctx;
  const urls = {
    auth: topology.system.authUrl,
    producer: topology.producerUrls[0],
    consumer: topology.consumerUrls[0],
  };
  // A user of its own: the fuzzing and the flood must not eat the load's connection slots.
  const { token, userId } = await registerAndLogin(urls.auth);
  const checks: [string, () => Promise<{ inputs: number; violations: string[] }>][] = [
    ["producer frames", () => fuzzFrames(wsUrl(urls.producer), token, profile.fuzzRuns)],
    ["consumer frames", () => fuzzFrames(wsUrl(urls.consumer), token, profile.fuzzRuns)],
    ["auth HTTP", () => fuzzHttp(urls.auth, token, profile.fuzzRuns)],
    ["producer HTTP", () => fuzzHttp(urls.producer, token, profile.fuzzRuns)],
    ["consumer HTTP", () => fuzzHttp(urls.consumer, token, profile.fuzzRuns)],
    ["bad tokens", () => checkTokens(urls, topology.privateJwk, userId)],
    ["hostile channel names", () => checkHostileChannels(urls, token)],
    ["oversize frames", () => checkFrameSizes(urls, token)],
    ["connection flood", async () => {
      const cap = Number(TOPOLOGY_ENV.MAX_CONNECTIONS_PER_USER);
      const a = await checkConnectionFlood(urls.producer, token, cap);
      const b = await checkConnectionFlood(urls.consumer, token, cap);
      return { inputs: a.inputs + b.inputs, violations: [...a.violations, ...b.violations] };
    }],
    ["token expiry", async () => ({
      inputs: 1,
      violations: await checkExpiryCloses(urls.consumer, topology.privateJwk, userId),
    })],
  ];
  const notes: string[] = [];
  const violations: string[] = [];
  for (const [name, check] of checks) {
    const result = await check().catch((err) => ({
      inputs: 0,
      violations: [`${name} could not run: ${err.message}`],
    }));
    notes.push(`${name} ${result.inputs}`);
    violations.push(...result.violations.map((v) => `${name}: ${v}`));
  }
  for (const base of [urls.auth, urls.producer, ...topology.consumerUrls]) {
    const res = await fetch(`${base}/health`);
    await res.body?.cancel();
    if (!res.ok) violations.push(`${base}/health is ${res.status} after the hostile input`);
  }
  return { notes: [`hostile inputs: ${notes.join(", ")}`], violations };
}
