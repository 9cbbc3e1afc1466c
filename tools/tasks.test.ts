import assert from "node:assert/strict";

const config = JSON.parse(
  (await Deno.readTextFile(new URL("../deno.json", import.meta.url)))
    .replace(/^\s*\/\/.*$/gm, ""),
) as { tasks: Record<string, string> };

Deno.test("the tasks that start a service or migrate read .env (cp .env.example .env)", () => {
  const reading = Object.entries(config.tasks)
    .filter(([name]) => /^(start|dev|migrate:(up|down|status))/.test(name));
  assert.ok(reading.length >= 8);
  for (const [name, command] of reading) assert.match(command, /--env-file=\.env /, name);
});

Deno.test("--env-file: the environment wins over the file, and a missing file is no error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/show.ts`,
      `console.log(Deno.env.get("A"), Deno.env.get("B"));`,
    );
    const run = async () => {
      const { code, stdout } = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--env-file=.env", "show.ts"],
        cwd: dir,
        env: { A: "from-env", NO_COLOR: "1" },
        stdout: "piped",
        stderr: "null",
      }).output();
      return { code, out: new TextDecoder().decode(stdout).trim() };
    };
    assert.deepEqual(await run(), { code: 0, out: "from-env undefined" });
    await Deno.writeTextFile(`${dir}/.env`, "A=from-file\nB=from-file\n");
    assert.deepEqual(await run(), { code: 0, out: "from-env from-file" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
