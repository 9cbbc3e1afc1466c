/** The Docker and Compose command lines the compose test runs, in one place. */

export interface RunResult {
  success: boolean;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; `quiet` keeps its output for the caller instead of the terminal. */
export async function run(
  cmd: string[],
  opts: { env?: Record<string, string>; quiet?: boolean; stdin?: "null" | "inherit" } = {},
): Promise<RunResult> {
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    env: opts.env,
    stdin: "null",
    stdout: opts.quiet ? "piped" : "inherit",
    stderr: opts.quiet ? "piped" : "inherit",
  }).output();
  const text = (b: Uint8Array | null) => b ? new TextDecoder().decode(b) : "";
  return { success: out.success, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Like run, but a failure throws with the command and what it printed. */
export async function must(cmd: string[], opts: Parameters<typeof run>[1] = {}): Promise<string> {
  const r = await run(cmd, opts);
  if (!r.success) throw new Error(`failed: ${cmd.join(" ")}\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}

/** Docker Compose v2 (the docker plugin) where it exists, else Debian's docker-compose v1. */
export async function composeCommand(): Promise<string[]> {
  if ((await run(["docker", "compose", "version"], { quiet: true })).success) {
    return ["docker", "compose"];
  }
  if ((await run(["docker-compose", "version"], { quiet: true }).catch(() => null))?.success) {
    return ["docker-compose"];
  }
  throw new Error("neither `docker compose` nor `docker-compose` is installed");
}

/** True when the image is here already or can be pulled (no registry reachable: false, fast). */
export async function imageAvailable(image: string): Promise<boolean> {
  if ((await run(["docker", "image", "inspect", image], { quiet: true })).success) return true;
  return (await run(["docker", "pull", "-q", image], { quiet: true })).success;
}

/** A container's health check state (starting, healthy, unhealthy), or its state once it exited. */
export async function health(containerId: string): Promise<string> {
  const r = await run(
    [
      "docker",
      "inspect",
      "-f",
      "{{if .State.Running}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}",
      containerId,
    ],
    { quiet: true },
  );
  return r.stdout.trim();
}
