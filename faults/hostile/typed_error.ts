import { ERROR_CODES } from "../../shared/errors.ts";

/**
 * Why an HTTP answer to a client's mistake breaks the contract, or undefined when it keeps it:
 * never a 5xx, and every error in the one JSON shape {"error":{"code","message"}} with a known code.
 */
export async function httpContractBreach(res: Response): Promise<string | undefined> {
  const text = await res.text();
  if (res.status >= 500) return `${res.status}: ${text.slice(0, 200)}`;
  if (res.status < 400) return undefined;
  let body: { error?: { code?: unknown; message?: unknown } };
  try {
    body = JSON.parse(text);
  } catch {
    return `${res.status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  const code = body.error?.code;
  if (!ERROR_CODES.includes(code as never) || typeof body.error?.message !== "string") {
    return `${res.status} without a typed error: ${text.slice(0, 200)}`;
  }
  if (code === "INTERNAL" || code === "UNAVAILABLE") return `${res.status} ${code} for bad input`;
  return undefined;
}

/** The same contract for a WebSocket error frame. */
export function frameContractBreach(frame: Record<string, unknown>): string | undefined {
  if (frame.type !== "error") return undefined;
  if (!ERROR_CODES.includes(frame.code as never) || typeof frame.message !== "string") {
    return `untyped error frame ${JSON.stringify(frame).slice(0, 200)}`;
  }
  if (frame.code === "INTERNAL") return `INTERNAL for bad input: ${frame.message}`;
  return undefined;
}

/** Channel names that must never reach SQL or a NATS subject as anything but rejected input. */
export const HOSTILE_CHANNELS = [
  "'; drop table messages; --",
  "general' or '1'='1",
  "a.b",
  "*",
  ">",
  "message.>",
  "delivery.*",
  "a b",
  "",
  "x".repeat(65),
  "ünïcode",
  "..",
  "a\u0000b",
  "$JS.API.STREAM.DELETE.MESSAGES",
];
