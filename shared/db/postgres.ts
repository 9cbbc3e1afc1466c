import postgres from "postgres";

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;

/** One connection pool per process and database; notices and bigint parsing set once here. */
export function connectPostgres(url: string, opts: { max?: number } = {}): Sql {
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
