import { Database, migrate, PgliteDatabase, PostgresDatabase, readMigrations } from '../../libs/persistence/src/index.js';
import { createTestDatabase, requireServers, type TestDatabase } from '../harness/isolation.js';

// The same migrations and SQL on both engines: PGlite (embedded) and PostgreSQL (servers).
const engines: Array<[string, () => Promise<{ db: Database; release(): Promise<void> }>]> = [
  ['pglite', async () => {
    const db = await PgliteDatabase.open();
    return { db, release: () => db.close() };
  }],
  ['postgres', async () => {
    const testDb: TestDatabase = await createTestDatabase();
    const db = new PostgresDatabase(testDb.url, 4);
    return { db, release: async () => { await db.close(); await testDb.drop(); } };
  }],
];

describe.each(engines)('system of record on %s', (engine, open) => {
  const suite = engine === 'postgres' ? requireServers('postgres') : describe;
  suite(engine, () => {
    let db: Database;
    let release: () => Promise<void>;

    beforeAll(async () => {
      ({ db, release } = await open());
    });
    afterAll(async () => release?.());

    it('applies every migration once, in order', async () => {
      const all = readMigrations().map((m) => m.version);
      expect(await migrate(db)).toEqual(all);
      expect(await migrate(db)).toEqual([]);
      const rows = await db.query<{ version: string }>('select version from schema_migrations order by version');
      expect(rows.map((r) => r.version)).toEqual(all);
    });

    it('parses int8 as a safe number and numeric as an exact string, the same on both engines', async () => {
      const [row] = await db.query<{ big: number; money: string; at: Date }>("select 9007199254740991::int8 as big, 0.1::numeric + 0.2::numeric as money, '2026-11-28T10:00:00Z'::timestamptz as at");
      expect(row).toEqual({ big: 9007199254740991, money: '0.3', at: new Date('2026-11-28T10:00:00Z') });
      await expect(db.query('select 9007199254740993::int8 as too_big')).rejects.toThrow(/safe integer/);
    });

    it('rolls a transaction back as a whole when it fails', async () => {
      await db.query("insert into accounts (id, name) values ('acc_tx_before', 'kept')");
      await expect(
        db.transaction(async (tx) => {
          await tx.query("insert into accounts (id, name) values ('acc_tx_lost', 'lost')");
          await tx.query("insert into accounts (id, name) values ('acc_tx_before', 'duplicate')");
        }),
      ).rejects.toThrow();
      const ids = (await db.query<{ id: string }>("select id from accounts where id like 'acc_tx_%' order by id")).map((r) => r.id);
      expect(ids).toEqual(['acc_tx_before']);
    });
  });
});
