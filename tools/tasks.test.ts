import assert from "node:assert/strict";
import { denoTasks } from "../shared/testing/deno_tasks.ts";

const tasks = await denoTasks();

Deno.test("the tasks that start a service, migrate or manage API keys read .env (cp .env.example .env)", () => {
  const reading = Object.entries(tasks)
    .filter(([name]) => /^(start|dev|migrate:(up|down|status)|apikey:)/.test(name));
  assert.ok(reading.length >= 11);
  for (const [name, { command, dependencies }] of reading) {
    assert.match(command, /--env-file=\.env /, name);
    // The one mechanism that keeps a missing .env quiet.
    assert.deepEqual(dependencies, ["dotenv"], name);
  }
  for (const [name, { command, dependencies }] of Object.entries(tasks)) {
    if (command.includes("--env-file")) assert.ok(dependencies.includes("dotenv"), name);
  }
});

/** `deno task show` in `dir`, with A set in the environment. */
async function runShow(dir: string) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "show"],
    cwd: dir,
    env: { A: "from-env", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(stderr);
  return { code, out: new TextDecoder().decode(stdout).trim(), warned: /warning/i.test(err) };
}

Deno.test("a missing .env is silent; a present one takes effect, under the environment", async () => {
  // deno.json's own dotenv task, as the dependency of a task like the real ones, in a folder of
  // its own (no .env, no workspace around it).
  const dir = await Deno.makeTempDir();
  const showTask = (dependencies: string[]) =>
    Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify({
        tasks: {
          dotenv: tasks.dotenv.command,
          show: { command: "deno run --env-file=.env --allow-env show.ts", dependencies },
        },
      }),
    );
  try {
    await Deno.mkdir(`${dir}/tools`);
    await Deno.copyFile(new URL("dotenv.ts", import.meta.url), `${dir}/tools/dotenv.ts`);
    await Deno.writeTextFile(
      `${dir}/show.ts`,
      `console.log(Deno.env.get("A"), Deno.env.get("B"));`,
    );
    // Without the dependency Deno warns (the check below can see a warning).
    await showTask([]);
    assert.deepEqual(await runShow(dir), { code: 0, out: "from-env undefined", warned: true });
    await showTask(["dotenv"]);
    assert.deepEqual(await runShow(dir), { code: 0, out: "from-env undefined", warned: false });
    // The empty .env it made changes nothing; a real one is read, and never overwritten.
    assert.match(await Deno.readTextFile(`${dir}/.env`), /^#[^\n]*\n$/);
    assert.deepEqual(await runShow(dir), { code: 0, out: "from-env undefined", warned: false });
    await Deno.writeTextFile(`${dir}/.env`, "A=from-file\nB=from-file\n");
    assert.deepEqual(await runShow(dir), { code: 0, out: "from-env from-file", warned: false });
    assert.equal(await Deno.readTextFile(`${dir}/.env`), "A=from-file\nB=from-file\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
