import assert from "node:assert/strict";
import { sleep } from "../async/sleep.ts";

/** A process whose shutdown takes `stopMs`; prints "stopped" when it completes. */
async function spawnStoppable(stopMs: number) {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    script,
    `import { onShutdownSignal } from "${new URL("./serve.ts", import.meta.url)}";
import { createLogger } from "${new URL("../logging/logger.ts", import.meta.url)}";
onShutdownSignal(createLogger({ service: "t" }), async () => {
  await new Promise((r) => setTimeout(r, ${stopMs}));
  console.log("stopped");
});
console.log("ready");
setInterval(() => {}, 1_000);
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("ready")) out += (await reader.read()).value ?? "";
  return {
    child,
    /** Exit code and everything printed. */
    finished: async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) out += r.value;
      const { code } = await child.status;
      await Deno.remove(script);
      return { code, out };
    },
  };
}

Deno.test("shutdown: Ctrl-C delivered twice at once (deno task forwards it) still drains", async () => {
  const p = await spawnStoppable(500);
  p.child.kill("SIGINT");
  await sleep(50); // two kills in a row would merge into one pending signal
  p.child.kill("SIGINT");
  const { code, out } = await p.finished();
  assert.equal(code, 0);
  assert.match(out, /stopped/);
});

Deno.test("shutdown: a signal that comes later exits at once, without waiting for the drain", async () => {
  const p = await spawnStoppable(30_000);
  p.child.kill("SIGTERM");
  await sleep(1_500);
  p.child.kill("SIGINT");
  const { code, out } = await p.finished();
  assert.equal(code, 1);
  assert.doesNotMatch(out, /stopped/);
});
