import { ERROR_CODES } from "./wire.ts";
import { type ErrorCode, RtmError } from "./errors.ts";

const REQUEST_TIMEOUT_MS = 15_000;

/**
 * One JSON request to a service. Every failure is an RtmError: the server's `{"error":{code}}`
 * when it answered, UNAVAILABLE when it could not be reached or did not answer in time.
 */
export async function requestJson<T>(
  url: string,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    throw new RtmError("UNAVAILABLE", `cannot reach ${new URL(url).origin}`);
  }
  const text = await res.text();
  if (res.ok) return (text ? JSON.parse(text) : undefined) as T;
  let code: ErrorCode = res.status >= 500 ? "UNAVAILABLE" : "INVALID";
  let message = `${res.status} ${res.statusText}`;
  try {
    const error = JSON.parse(text)?.error;
    if (ERROR_CODES.includes(error?.code)) code = error.code;
    if (typeof error?.message === "string") message = error.message;
  } catch { /* not our JSON shape: keep the status line */ }
  const retryAfter = Number(res.headers.get("retry-after"));
  throw new RtmError(
    code,
    message,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}
