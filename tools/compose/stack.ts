import { sleep } from "../../shared/async/sleep.ts";
import { health, must, run } from "./docker.ts";

/** One compose project (its own name, files and environment): up, stop/start a service, down. */
export class ComposeStack {
  constructor(
    private readonly compose: string[],
    private readonly project: string,
    private readonly files: string[],
    private readonly env: Record<string, string>,
  ) {}

  private cmd(...args: string[]): string[] {
    return [...this.compose, "-p", this.project, ...this.files.flatMap((f) => ["-f", f]), ...args];
  }

  build(): Promise<string> {
    return must(this.cmd("build", "-q"), { env: this.env, quiet: true });
  }

  up(): Promise<string> {
    return must(this.cmd("up", "-d", "--no-build"), { env: this.env, quiet: true });
  }

  stop(service: string): Promise<string> {
    return must(this.cmd("stop", service), { env: this.env, quiet: true });
  }

  start(service: string): Promise<string> {
    return must(this.cmd("start", service), { env: this.env, quiet: true });
  }

  /** Waits until every service's container reports healthy (each one has a health check). */
  async waitHealthy(services: string[], timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const service of services) {
      const id = (await must(this.cmd("ps", "-q", service), { env: this.env, quiet: true })).trim();
      if (!id) throw new Error(`${service} has no container`);
      let state;
      while ((state = await health(id)) !== "healthy") {
        if (state === "exited" || state === "dead") throw new Error(`${service} ${state}`);
        if (Date.now() > deadline) throw new Error(`${service} not healthy in ${timeoutMs} ms`);
        await sleep(500);
      }
    }
  }

  /** The last `tail` lines of each service's output (of `services` only, when given). */
  async logs(tail = 40, services: string[] = []): Promise<string> {
    return (await run(this.cmd("logs", "--no-color", "--tail", String(tail), ...services), {
      env: this.env,
      quiet: true,
    })).stdout;
  }

  /** Removes every container, network and volume of the project. */
  async down(): Promise<boolean> {
    return (await run(this.cmd("down", "-v", "--remove-orphans", "-t", "10"), {
      env: this.env,
      quiet: true,
    })).success;
  }
}
