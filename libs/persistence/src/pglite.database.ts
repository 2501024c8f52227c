import { mkdirSync } from 'node:fs';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Database, PG_TYPES, parseInt8, type SqlExecutor } from './database.js';

const parsers = { [PG_TYPES.INT8]: parseInt8, [PG_TYPES.NUMERIC]: (value: string) => value };

/** Embedded Postgres (WASM) for the zero-dependency shape. One connection, serialised by PGlite. */
export class PgliteDatabase extends Database {
  readonly kind = 'pglite' as const;

  private constructor(private readonly db: PGlite) {
    super();
  }

  /** `dataDir` undefined keeps the database in memory (tests). */
  static async open(dataDir?: string): Promise<PgliteDatabase> {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    // pg_trgm: indexed SIM name search (migration 0050), as on PostgreSQL.
    const db = await PGlite.create(dataDir, { parsers, extensions: { pg_trgm } });
    return new PgliteDatabase(db);
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const result = await this.db.query<Row>(sql, params as unknown[]);
    return result.rows;
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction((tx: Transaction) =>
      work({
        query: async <Row>(sql: string, params: readonly unknown[] = []) => (await tx.query<Row>(sql, params as unknown[])).rows,
      }),
    );
  }

  async ping(): Promise<void> {
    await this.db.query('select 1');
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}

export { types as pgliteTypes };
