import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startDistributed } from "../../shared/testing/system.ts";
import { collector, endpointsOf } from "./support.ts";

const SDK_DIR = fileURLToPath(new URL("../sdk/", import.meta.url));

/**
 * web/sdk and nothing else, in a folder of its own: what a package registry would hold. ("test"
 * in its name keeps the copy, gone by the time coverage is summed, out of the summary.)
 */
async function copySdkAlone(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "rtm-test-sdk-package-" });
  for await (const entry of Deno.readDir(SDK_DIR)) {
    assert.ok(entry.isFile, `web/sdk/${entry.name}: the package is one flat folder`);
    await Deno.copyFile(`${SDK_DIR}${entry.name}`, `${dir}/${entry.name}`);
  }
  return dir;
}

async function deno(args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `deno ${args.join(" ")} failed:\n${text}`);
  return text;
}

Deno.test("the SDK is a package on its own: checked, publishable and working outside the repository", async (t) => {
  const dir = await copySdkAlone();
  try {
    await t.step("it type-checks with no file of the repository around it", async () => {
      await deno(["check", "mod.ts", "wire.ts"], dir);
    });

    await t.step("its dry-run publish passes (no import leaves the package)", async () => {
      const out = await deno(["publish", "--dry-run", "--allow-dirty"], dir);
      assert.match(out, /Simulating publish of @rtm\/sdk@/);
    });

    await t.step("the copy talks to a running system", async () => {
      const sdk: typeof import("../sdk/mod.ts") = await import(`file://${dir}/mod.ts`);
      const system = await startDistributed();
      const clients: { close(): void }[] = [];
      try {
        const endpoints = endpointsOf(system);
        const connectNew = async () => {
          const credentials = {
            email: `pkg-${crypto.randomUUID()}@example.com`,
            password: "correct horse battery",
          };
          await sdk.register(endpoints, credentials);
          const client = await sdk.connect({ ...endpoints, credentials });
          clients.push(client);
          return client;
        };
        const [alice, bob] = [await connectNew(), await connectNew()];
        const channel = `pkg-${crypto.randomUUID().slice(0, 8)}`;
        const got = collector();
        await bob.subscribe(channel, got.onMessage);
        await alice.publish(channel, "from the published package");
        await got.until(1);
        assert.equal(got.messages[0].body, "from the published package");
        await assert.rejects(
          alice.publish("not a channel!", "x"),
          (err) => err instanceof sdk.RtmError && err.code === "INVALID",
        );
      } finally {
        clients.forEach((c) => c.close());
        await system.stop();
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
