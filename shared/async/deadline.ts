/**
 * Settles like `work`, or rejects with `onTimeout()` after `ms`, whichever comes first. The work
 * itself is not cancelled: callers use this where a late success is harmless (idempotent work).
 */
export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => timer = setTimeout(() => reject(onTimeout()), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
