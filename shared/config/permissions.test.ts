import assert from "node:assert/strict";
import { denoTasks } from "../testing/deno_tasks.ts";
import { ENTRIES, type Entry, permissionFlags, TASKS } from "./permissions.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("permissions: each deno.json start task runs its entry (reading .env) with exactly these flags", async () => {
  const tasks = await denoTasks();
  for (const entry of ENTRIES) {
    assert.equal(
      tasks[TASKS[entry]].command,
      `deno run --env-file=.env ${permissionFlags(entry).join(" ")} ${entry}`,
      `deno.json task ${TASKS[entry]}`,
    );
  }
});

/** Issue #14: every service ran with `-A`, giving up Deno's sandbox. */
Deno.test("permissions: a service cannot read, write or run outside what it needs", async () => {
  const outside = await Deno.makeTempDir({ prefix: "rtm-outside-" });
  const keyDir = await Deno.makeTempDir({ prefix: "rtm-keys-" });
  const secret = `${outside}/secret.txt`;
  await Deno.writeTextFile(secret, "not yours");
  try {
    const probe = async (entry: Entry) => {
      const env = { AUTH_KEY_FILE: `${keyDir}/signing-key.json` };
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...permissionFlags(entry, env),
          "shared/testing/permission_probe.ts",
          secret,
          outside,
          keyDir,
        ],
        cwd: ROOT,
        env: { NO_COLOR: "1", ...env },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      return JSON.parse(new TextDecoder().decode(stdout));
    };
    const denied = {
      readShadow: false,
      readSecret: false,
      readHome: false,
      writeOutside: false,
      run: false,
      readProc: false, // Deno opens /proc only to -A
      readNodeModules: true,
    };
    assert.deepEqual(await probe("producer/cmd/main.ts"), { ...denied, writeKeyDir: false });
    assert.deepEqual(await probe("consumer/cmd/main.ts"), { ...denied, writeKeyDir: false });
    // Auth writes its signing key, there and nowhere else.
    assert.deepEqual(await probe("auth/src/main.ts"), { ...denied, writeKeyDir: true });
    await assert.rejects(Deno.stat(`${outside}/dropped.txt`));
  } finally {
    await Deno.remove(outside, { recursive: true });
    await Deno.remove(keyDir, { recursive: true });
  }
});
