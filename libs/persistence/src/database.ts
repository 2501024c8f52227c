/** Anything that runs SQL: the database itself, or a transaction on it. */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/**
 * The system of record (PostgreSQL, or PGlite embedded). The implementation is chosen once, in
 * PersistenceModule; repositories depend on this port only.
 */
export abstract class Database implements SqlExecutor {
  abstract readonly kind: 'pglite' | 'postgres';
  abstract query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements (migrations). */
  abstract exec(sql: string): Promise<void>;
  abstract transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  abstract ping(): Promise<void>;
  abstract close(): Promise<void>;
}

/** Postgres type OIDs parsed the same way on both engines, so repositories see one shape. */
export const PG_TYPES = { INT8: 20, NUMERIC: 1700 } as const;

export const parseInt8 = (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} exceeds the safe integer range`);
  return n;
};
