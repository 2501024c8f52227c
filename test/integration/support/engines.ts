import { type Database, PgliteDatabase, PostgresDatabase } from '@simfleet/persistence';
import { createTestDatabase } from '../../harness/isolation.js';

export interface OpenedDatabase {
  db: Database;
  release(): Promise<void>;
}

/**
 * Both systems of record, for `describe.each`: PGlite in memory, and a database of its own on the harness's
 * PostgreSQL (a pool of `poolSize` connections: enough for the writes a suite races).
 */
export const databaseEngines = (poolSize = 4): Array<[string, () => Promise<OpenedDatabase>]> => [
  [
    'pglite',
    async () => {
      const db = await PgliteDatabase.open();
      return { db, release: () => db.close() };
    },
  ],
  [
    'postgres',
    async () => {
      const testDb = await createTestDatabase();
      const db = new PostgresDatabase(testDb.url, poolSize);
      return {
        db,
        release: async () => {
          await db.close();
          await testDb.drop();
        },
      };
    },
  ],
];
