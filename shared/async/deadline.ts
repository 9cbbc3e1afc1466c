/**
 * How often pending deadlines are checked. One shared interval serves every pending call (it runs
 * only while some are pending): a timer per call cost ~5 % of the producer's CPU per publish. A
 * deadline may fire up to this much late; deadlines here are seconds long.
 */
const TICK_MS = 25;

interface Waiting {
  at: number;
  expire(): void;
}

const waiting = new Set<Waiting>();
let ticker: ReturnType<typeof setInterval> | undefined;

function tick(): void {
  const now = performance.now();
  for (const w of waiting) {
    if (w.at > now) continue;
    waiting.delete(w);
    w.expire();
  }
  stopWhenIdle();
}

function stopWhenIdle(): void {
  if (waiting.size > 0 || ticker === undefined) return;
  clearInterval(ticker);
  ticker = undefined;
}

/**
 * Settles like `work`, or rejects with `onTimeout()` after `ms`, whichever comes first. The work
 * itself is not cancelled: callers use this where a late success is harmless (idempotent work).
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const entry: Waiting = { at: performance.now() + ms, expire: () => reject(onTimeout()) };
    waiting.add(entry);
    ticker ??= setInterval(tick, TICK_MS);
    const settle = () => {
      waiting.delete(entry);
      stopWhenIdle();
    };
    work.then((value) => {
      settle();
      resolve(value);
    }, (err) => {
      settle();
      reject(err);
    });
  });
}
