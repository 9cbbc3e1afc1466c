import postgres from "postgres";

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;

/**
 * postgres.js 3.4.9 (the latest) can write to a connection's socket from a setImmediate after the
 * socket closed (porsager/postgres#1154, #1208): an uncaught TypeError that kills the process when
 * PostgreSQL goes away under load. The query it belonged to has already been rejected with
 * CONNECTION_CLOSED, so that one error is harmless: keep the process alive and let the pool
 * reconnect. Found by the fault suite's PostgreSQL-stop scenario (the consumer died).
 */
function survivePostgresWriteAfterClose(): void {
  globalThis.addEventListener("error", (event) => {
    const stack = event.error instanceof Error ? event.error.stack ?? "" : "";
    if (/reading 'write'/.test(stack) && /postgres\/src\/connection\.js/.test(stack)) {
      event.preventDefault();
    }
  });
}
let guarded = false;

/** One connection pool per process and database; notices and bigint parsing set once here. */
export function connectPostgres(url: string, opts: { max?: number } = {}): Sql {
  if (!guarded) {
    guarded = true;
    survivePostgresWriteAfterClose();
  }
  return postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    connect_timeout: 5,
    idle_timeout: 60,
    // bigint columns (seq, last_seq) fit comfortably in a JS number for any realistic channel.
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (x: number) => String(x),
        parse: (x: string) => Number(x),
      },
    },
    transform: { undefined: null },
  });
}

/** True when the database answers a trivial query. */
export async function pingPostgres(sql: Sql): Promise<boolean> {
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  }
}
