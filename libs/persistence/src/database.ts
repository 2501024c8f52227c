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

/**
 * A PostgreSQL `text[]` literal of the JSON texts of `values`, for a `$n::text[]` parameter. The pg driver
 * escapes array elements with two regular expressions each, which for JSON (full of quotes) cost more than
 * the insert; JSON.stringify of the texts escapes exactly what an array literal needs (`"` and `\`: JSON
 * text has no control characters left to escape), so the outer array needs only its braces swapped.
 */
export function jsonTextArray(values: readonly unknown[]): string {
  const json = JSON.stringify(values.map((v) => JSON.stringify(v)));
  return `{${json.slice(1, -1)}}`;
}
