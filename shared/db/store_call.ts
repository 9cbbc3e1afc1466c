import { withDeadline } from "../async/deadline.ts";
import { AppError } from "../errors.ts";

/**
 * One database call as the stores make it: bounded in time when `timeoutMs` is given (a stalled
 * database must not hold a subscribe, a publish or a page for good), and failing only with an
 * AppError: the call's own, or UNAVAILABLE with `unavailable` as its message, which a client may
 * retry and which says nothing of the database's detail.
 */
export async function storeCall<T>(
  unavailable: string,
  fn: () => Promise<T>,
  timeoutMs?: number,
): Promise<T> {
  try {
    return timeoutMs === undefined
      ? await fn()
      : await withDeadline(fn(), timeoutMs, () => new Error("timed out"));
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("UNAVAILABLE", unavailable);
  }
}
