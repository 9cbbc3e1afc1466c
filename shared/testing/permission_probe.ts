/**
 * Run with a service's permissions by shared/config/permissions.test.ts: tries what the service
 * must not do (and what it must) and prints which succeeded, as JSON on stdout.
 */
const [secretFile, outsideDir, keyDir] = Deno.args;

async function list(dir: string): Promise<void> {
  for await (const _ of Deno.readDir(dir)) break;
}

async function allowed(attempt: () => Promise<unknown>): Promise<boolean> {
  try {
    await attempt();
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      return false;
    }
    throw err;
  }
}

console.log(JSON.stringify({
  readShadow: await allowed(() => Deno.readTextFile("/etc/shadow")),
  readSecret: await allowed(() => Deno.readTextFile(secretFile)),
  readHome: await allowed(() => list(Deno.env.get("HOME") ?? "/root")),
  writeOutside: await allowed(() => Deno.writeTextFile(`${outsideDir}/dropped.txt`, "x")),
  run: await allowed(() => new Deno.Command("sh", { args: ["-c", "true"] }).output()),
  readProc: await allowed(() => Deno.readTextFile("/proc/self/status")),
  readNodeModules: await allowed(() => list("node_modules")),
  writeKeyDir: await allowed(() => Deno.writeTextFile(`${keyDir}/probe.txt`, "x")),
}));
