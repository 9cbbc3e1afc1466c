import { Semaphore } from "../../shared/async/semaphore.ts";
import { AppError } from "../../shared/errors.ts";

/**
 * Bounds expensive work (password hashing: 128 MiB each): at most `concurrency` run, at most
 * `queue` wait, and anything beyond is refused at once with RATE_LIMITED, so a flood costs the
 * process a bounded amount of memory and keeps it answering everything else.
 */
export class WorkGate {
  private readonly slots: Semaphore;

  constructor(concurrency: number, private readonly queue: number) {
    this.slots = new Semaphore(concurrency);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.slots.full && this.slots.queued >= this.queue) {
      throw new AppError("RATE_LIMITED", "the server is busy, try again shortly", 1);
    }
    const release = await this.slots.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }
}
