import { z } from "zod";
import type { Signals } from "../ports/broker.ts";

/**
 * A removed member's access ends on every instance (producers and consumers) within a broker
 * round trip: the consumer that removed them announces it; each instance drops its cached access
 * and ends the user's live subscriptions there. At-most-once: a lost signal still ends within the
 * access cache's TTL (an expired membership is read again before it is honoured).
 */
const REVOKED_TOPIC = "membership-revoked";
const Revocation = z.object({ channel: z.string(), userId: z.string() });
export type Revocation = z.infer<typeof Revocation>;

export function announceRevocation(signals: Signals, revocation: Revocation): void {
  signals.publish(REVOKED_TOPIC, revocation satisfies Revocation);
}

/** Calls `onRevoked` for each announced revocation until the returned function is called. */
export function onRevocation(
  signals: Signals,
  onRevoked: (revocation: Revocation) => void,
): () => void {
  return signals.subscribe(REVOKED_TOPIC, (data) => {
    const parsed = Revocation.safeParse(data);
    if (parsed.success) onRevoked(parsed.data);
  });
}
