import { AppError } from "../errors.ts";
import type { Signals } from "../ports/broker.ts";

/** Publishes a signal to every instance; a broker that cannot take it now is UNAVAILABLE. */
export function announce(signals: Signals, topic: string, data: unknown): void {
  try {
    signals.publish(topic, data);
  } catch {
    throw new AppError("UNAVAILABLE", "broker unavailable, retry");
  }
}
