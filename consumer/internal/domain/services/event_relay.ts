import { sleep } from "../../../../shared/async/sleep.ts";
import type { ChannelEvent } from "../../../../shared/domain/channel_event.ts";
import type { Logger } from "../../../../shared/logging/logger.ts";
import type { EventOutbox } from "../ports/event_outbox.ts";

/** Events per transaction, and the bound on each one's append (so on the relay's lock). */
const BATCH = 100;
const APPEND_TIMEOUT_MS = 5_000;
/** How soon a change is relayed when there was nothing to do; and after a failure. */
const IDLE_MS = 250;
const RETRY_MS = 1_000;

/**
 * Moves recorded channel events from the outbox to the event stream, in order, at least once:
 * rows are forgotten only after the stream confirmed each (a resend after a crash is dropped by
 * the stream's duplicate window, keyed by event id). Every instance runs it; one works at a time.
 * `append` undefined (no event stream: the in-process broker) forgets them, so nothing piles up.
 */
export class EventRelay {
  constructor(
    private readonly outbox: EventOutbox,
    private readonly append:
      | ((event: ChannelEvent, timeoutMs: number) => Promise<void>)
      | undefined,
    private readonly logger: Logger,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let moved = 0;
      try {
        moved = await this.outbox.relay(BATCH, async (events) => {
          // One at a time: a later event must never be stored before an earlier one.
          for (const event of events) await this.append?.(event, APPEND_TIMEOUT_MS);
        });
      } catch (err) {
        this.logger.warn("channel events not relayed, retrying", { err });
        await sleep(RETRY_MS, signal);
        continue;
      }
      if (moved < BATCH) await sleep(IDLE_MS, signal);
    }
  }
}
