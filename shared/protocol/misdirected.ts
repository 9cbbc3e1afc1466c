import { AppError } from "../errors.ts";

type SocketService = "producer" | "consumer";

/** Which service's WebSocket takes each client frame that only one of them takes. */
const SERVICE_OF: Record<string, SocketService> = {
  publish: "producer",
  subscribe: "consumer",
  unsubscribe: "consumer",
  typing: "consumer",
};
const WHAT_THERE: Record<SocketService, string> = {
  producer: "messages are published on the producer's WebSocket (/v1/ws on the producer)",
  consumer: "subscriptions live on the consumer's WebSocket (/v1/ws on the consumer)",
};

/**
 * A frame that belongs on the other service's socket: an answer that says where, instead of the
 * schema's list of expected types. Undefined for any other frame.
 */
export function misdirected(data: unknown, here: SocketService): AppError | undefined {
  if (typeof data !== "string") return undefined;
  let type: unknown;
  try {
    type = (JSON.parse(data) as { type?: unknown })?.type;
  } catch {
    return undefined;
  }
  const there = typeof type === "string" ? SERVICE_OF[type] : undefined;
  if (!there || there === here) return undefined;
  const takes = Object.keys(SERVICE_OF).filter((t) => SERVICE_OF[t] === here).join(", ");
  return new AppError(
    "INVALID",
    `${type} is a ${there} frame: ${WHAT_THERE[there]}; this ${here} socket takes ${takes}, ` +
      "ping and refresh",
  );
}
