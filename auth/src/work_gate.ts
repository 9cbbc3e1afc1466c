import { AppError } from "../../shared/errors.ts";

/**
 * Bounds expensive work (password hashing: 128 MiB each): at most `concurrency` run, at most
 * `queue` wait, and anything beyond is refused at once with RATE_LIMITED, so a flood costs the
 * process a bounded amount of memory and keeps it answering everything else.
 */
export class WorkGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly concurrency: number, private readonly queue: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queue) {
        throw new AppError("RATE_LIMITED", "the server is busy, try again shortly", 1);
      }
      // The finishing worker hands its slot over directly (running stays counted).
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
