import assert from "node:assert/strict";
import { sleep } from "../async/sleep.ts";

/** shared/testing/stoppable.ts, whose shutdown takes `stopMs`, started and ready for signals. */
async function spawnStoppable(stopMs: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", new URL("../testing/stoppable.ts", import.meta.url).pathname, String(stopMs)],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("ready")) {
    const r = await reader.read();
    if (r.done) throw new Error(`the process exited before it was ready: ${out}`);
    out += r.value;
  }
  return {
    child,
    /** Exit code and everything printed. */
    finished: async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) out += r.value;
      return { code: (await child.status).code, out };
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
