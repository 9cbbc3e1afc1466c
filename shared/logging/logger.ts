/** Structured JSON logs, one object per line on stderr, so they are greppable and machine-readable. */
export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

let minLevel: LogLevel = "info";
/** Set once at start from configuration. */
export function setLogLevel(level: LogLevel): void {
  minLevel = level;
}

export function createLogger(base: Record<string, unknown>): Logger {
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < RANK[minLevel]) return;
    const line: Record<string, unknown> = { ts: new Date().toISOString(), level, msg, ...base };
    if (fields) {
      for (const [k, v] of Object.entries(fields)) {
        line[k] = v instanceof Error ? describeError(v) : v;
      }
    }
    console.error(JSON.stringify(line));
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}

/** An error as a log field: its name and message, and what caused it when that is known. */
function describeError(err: Error): Record<string, string> {
  const described: Record<string, string> = { name: err.name, message: err.message };
  if (err.cause !== undefined) {
    described.cause = err.cause instanceof Error ? err.cause.message : String(err.cause);
  }
  return described;
}
