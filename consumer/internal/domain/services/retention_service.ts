import { sleep } from "../../../../shared/async/sleep.ts";
import type { Logger } from "../../../../shared/logging/logger.ts";
import type { HistoryPruner, RetentionRule } from "../ports/history_pruner.ts";

/** Rows one statement deletes, and statements per namespace per round: a bounded job. */
const BATCH = 5_000;
const BATCHES_PER_ROUND = 10;

/**
 * Applies the namespaces' history retention every `intervalMs`, a bounded amount per round so a
 * backlog is worked off over rounds instead of in one long transaction. Every instance may run
 * it: deleting what another instance deleted is a no-op.
 */
export class RetentionService {
  constructor(
    private readonly pruner: HistoryPruner,
    private readonly rules: ({ name: string } & RetentionRule)[],
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    if (this.rules.length === 0) return;
    while (!signal.aborted) {
      for (const { name, ...rule } of this.rules) {
        try {
          let deleted = BATCH;
          for (let i = 0; i < BATCHES_PER_ROUND && deleted === BATCH && !signal.aborted; i++) {
            deleted = await this.pruner.prune(name, rule, BATCH);
          }
        } catch (err) {
          this.logger.warn("history retention failed, retrying next round", { name, err });
        }
      }
      await sleep(this.intervalMs, signal);
    }
  }
}
