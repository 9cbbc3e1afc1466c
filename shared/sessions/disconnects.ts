import { z } from "zod";
import type { Signals } from "../ports/broker.ts";
import { CloseCode } from "../protocol/frames.ts";
import { announce } from "./announce.ts";

const TOPIC = "user-disconnect";
const Disconnect = z.object({ userId: z.string() });

/** Asks every instance of every socket service (this one included) to close the user's sockets. */
export function announceDisconnect(signals: Signals, userId: string): void {
  announce(signals, TOPIC, { userId } satisfies z.infer<typeof Disconnect>);
}

/**
 * Closes a user's sockets here whenever a disconnect is announced, with the code the SDK takes as
 * final. Returns the unsubscribe.
 */
export function closeOnDisconnect(
  signals: Signals,
  sockets: { closeUser(userId: string, code: number, reason: string): number },
): () => void {
  return signals.subscribe(TOPIC, (data) => {
    const parsed = Disconnect.safeParse(data);
    if (!parsed.success) return;
    sockets.closeUser(
      parsed.data.userId,
      CloseCode.DISCONNECTED,
      "disconnected by the application",
    );
  });
}
