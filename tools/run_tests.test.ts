import assert from "node:assert/strict";
import { eventually } from "../shared/testing/eventually.ts";

Deno.test("test runner: a file that hangs is stopped with what it started, and the run goes on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rtm-runner-" });
  try {
    await Deno.writeTextFile(`${dir}/a_ok.test.ts`, `Deno.test("fine", () => {});\n`);
    await Deno.writeTextFile(
      `${dir}/b_hang.test.ts`,
      `Deno.test("hangs", async () => {
        const child = new Deno.Command("sleep", { args: ["300"] }).spawn();
        await Deno.writeTextFile(${JSON.stringify(`${dir}/pid`)}, String(child.pid));
        await child.status;
      });\n`,
    );
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./run_tests.ts", import.meta.url).pathname, "--unit", dir],
      env: { TEST_FILE_TIMEOUT_SECONDS: "3", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "null",
    }).output();
    const out = new TextDecoder().decode(stdout);
    assert.equal(code, 1, out);
    assert.match(out, /b_hang\.test\.ts: stopped after 3 s/);
    assert.match(out, /^1 passed, 1 failed$/m);
    // The test's own child went with it: gone, or a zombie its new parent has yet to reap.
    const pid = Number(await Deno.readTextFile(`${dir}/pid`));
    await eventually(
      "the hanging test's child gone",
      () =>
        Deno.readTextFile(`/proc/${pid}/stat`).then((s) => /^\d+ \(.*\) Z /.test(s), () => true),
      { timeoutMs: 5_000 },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
