/**
 * `deno task test:compose [--cluster]`: docker-compose.yml built and run on this machine, end to
 * end. Uses the upstream images where they can be pulled, local stand-ins where they cannot
 * (tools/compose/standins.ts); builds the service images; starts the stack under its own project
 * name with fresh passwords and free 127.0.0.1 ports; drives the README flow through the SDK;
 * stops a consumer and then NATS under load and checks no acked message is lost; and always takes
 * everything down again (containers, network, volumes). `--cluster` adds
 * docker-compose.cluster.yml (three NATS nodes). Prints `N passed, N failed` last. Not named
 * *_test.ts: `deno task test`, which finds those, stays Docker-free.
 */
import assert from "node:assert/strict";
import { sleep } from "../shared/async/sleep.ts";
import { freePort } from "../shared/net.ts";
import { composeCommand, must, run } from "./compose/docker.ts";
import {
  chatPage,
  noAckedLoss,
  readmeFlow,
  serviceSurfaces,
  type Urls,
} from "./compose/scenario.ts";
import { ComposeStack } from "./compose/stack.ts";
import { resolveImages } from "./compose/standins.ts";

const PROJECT = "rtm-compose-test";
const SERVICES = ["auth", "producer", "consumer"];
const cluster = Deno.args.includes("--cluster");
const started = Date.now();
const log = (line: string) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`);
// A letter first: nats-server parses a $VARIABLE's value as a config token (a leading digit fails).
const secret = () => `p${crypto.randomUUID().replaceAll("-", "")}`;

const images = await resolveImages(log);
const ports = { auth: freePort(), grpc: freePort(), producer: freePort(), consumer: freePort() };
const env = {
  ...images,
  RTM_PG_PASSWORD: secret(),
  RTM_NATS_PRODUCER_PASSWORD: secret(),
  RTM_NATS_CONSUMER_PASSWORD: secret(),
  RTM_AUTH_PORT: String(ports.auth),
  RTM_AUTH_GRPC_PORT: String(ports.grpc),
  RTM_PRODUCER_PORT: String(ports.producer),
  RTM_CONSUMER_PORT: String(ports.consumer),
};
const files = ["docker-compose.yml", ...(cluster ? ["docker-compose.cluster.yml"] : [])]
  .map((file) => new URL(`../${file}`, import.meta.url).pathname);
const stack = new ComposeStack(await composeCommand(), PROJECT, files, env);
const urls: Urls = {
  authUrl: `http://127.0.0.1:${ports.auth}`,
  producerUrl: `http://127.0.0.1:${ports.producer}`,
  consumerUrl: `http://127.0.0.1:${ports.consumer}`,
};

// Interrupted: still take the stack down.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await stack.down();
    Deno.exit(130);
  });
}

let passed = 0;
let failed = 0;
async function check(name: string, fn: () => Promise<string | void>): Promise<void> {
  const t0 = Date.now();
  try {
    const detail = await fn();
    passed++;
    log(`ok   ${name} (${Date.now() - t0} ms)${detail ? `: ${detail}` : ""}`);
  } catch (err) {
    failed++;
    log(`FAIL ${name}: ${err instanceof Error ? err.stack : err}`);
    console.log(await stack.logs());
  }
}

/** Stops `service`'s container for a few seconds under load, then waits for the stack's health. */
const outage = (service: string) => async () => {
  await sleep(2000);
  await stack.stop(service);
  await sleep(5000);
  await stack.start(service);
  await stack.waitHealthy([service, ...SERVICES]);
  await sleep(2000);
};

try {
  log(`images: ${JSON.stringify(images)}`);
  log("building the service images");
  await stack.build();
  for (const s of SERVICES) {
    const bytes = Number(
      await must(["docker", "image", "inspect", "-f", "{{.Size}}", `rtm-${s}`], {
        quiet: true,
      }),
    );
    log(`rtm-${s}: ${(bytes / 1e6).toFixed(0)} MB`);
  }
  log(`compose up (${files.join(", ")})`);
  await stack.down(); // what an interrupted earlier run may have left
  await stack.up();
  await check("every service healthy", () => stack.waitHealthy(SERVICES));
  await check("ports published on 127.0.0.1 only", async () => {
    const bindings = await must([
      "docker",
      "ps",
      "--filter",
      `label=com.docker.compose.project=${PROJECT}`,
      "--format",
      "{{.Names}} {{.Ports}}",
    ], { quiet: true });
    const published = bindings.match(/[\d.:\[\]]+->\d+\/tcp/g) ?? [];
    assert.ok(published.length >= 4, bindings);
    assert.ok(published.every((p) => p.startsWith("127.0.0.1:")), bindings);
    return published.join(" ");
  });
  await check(
    "README flow: register, login, subscribe, publish, ack, live, since, history",
    () => readmeFlow(urls),
  );
  await check("every service ready, with its process metrics", () => serviceSurfaces(urls));
  await check("the chat page and its script answer 200", () => chatPage(urls.consumerUrl));
  await check(
    "consumer stopped under load: every acked message reaches history",
    async () => JSON.stringify(await noAckedLoss(urls, outage("consumer"))),
  );
  await check(
    "NATS stopped under load: every acked message reaches history",
    async () => JSON.stringify(await noAckedLoss(urls, outage("nats"))),
  );
  await check("NATS saw no authorization or permissions violation", async () => {
    const nodes = cluster ? ["nats", "nats-2", "nats-3"] : ["nats"];
    const natsLogs = await stack.logs(100_000, nodes);
    assert.doesNotMatch(natsLogs, /Violation/);
  });
} catch (err) {
  failed++;
  log(`FAIL ${err instanceof Error ? err.stack : err}`);
  console.log(await stack.logs());
} finally {
  log("compose down -v --remove-orphans");
  const down = await stack.down();
  const left = await Promise.all(
    ["container ls -a", "network ls", "volume ls"].map((what) =>
      run([
        "docker",
        ...what.split(" "),
        "-q",
        "--filter",
        `label=com.docker.compose.project=${PROJECT}`,
      ], { quiet: true })
    ),
  );
  if (!down || left.some((r) => r.stdout.trim() !== "")) {
    failed++;
    log(`FAIL the project left something behind: ${left.map((r) => r.stdout.trim()).join(" ")}`);
  } else {
    log("nothing left behind: no container, network or volume of the project");
  }
  log(`took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  Deno.exit(failed ? 1 : 0);
}
