import { Logger } from '@nestjs/common';
import pg from 'pg';
import { Database, PG_TYPES, parseInt8, type SqlExecutor } from './database.js';

const typeParsers = {
  getTypeParser(oid: number, format?: string) {
    if (oid === PG_TYPES.INT8) return parseInt8;
    if (oid === PG_TYPES.NUMERIC) return (value: string) => value;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as unknown as pg.CustomTypesConfig;

/** PostgreSQL through a connection pool: the production system of record. */
export class PostgresDatabase extends Database {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;

  constructor(url: string, poolSize: number) {
    super();
    this.pool = new pg.Pool({ connectionString: url, max: poolSize, types: typeParsers });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', (error: Error) => new Logger('PostgreSQL').warn(`idle connection lost: ${error.message}`));
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    const result = await this.pool.query(sql, params as unknown[]);
    return result.rows as Row[];
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const result = await work({
        query: async <Row>(sql: string, params: readonly unknown[] = []) => (await client.query(sql, params as unknown[])).rows as Row[],
      });
      await client.query('commit');
      return result;
    } catch (error) {
      // The original error is what the caller needs; a failed rollback means the connection is gone.
      await client.query('rollback').catch((rollbackError: Error) => new Logger('PostgreSQL').warn(`rollback failed: ${rollbackError.message}`));
      throw error;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('select 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
