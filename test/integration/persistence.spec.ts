import {
  type Database,
  migrate,
  readMigrations,
  jsonTextArray,
  EventRepository,
  SimRepository,
  WebhookRepository,
  SecretBox,
} from '@simfleet/persistence';
import { domainEvent } from '@simfleet/domain';
import { requireServers } from '../harness/isolation.js';
import { databaseEngines } from './support/engines.js';

// The same migrations and SQL on both engines: PGlite (embedded) and PostgreSQL (servers).
const engines = databaseEngines(4);

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
      const [row] = await db.query<{ big: number; money: string; at: Date }>(
        "select 9007199254740991::int8 as big, 0.1::numeric + 0.2::numeric as money, '2026-11-28T10:00:00Z'::timestamptz as at",
      );
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

    it('passes JSON texts as a text[] literal that PostgreSQL reads back unchanged', async () => {
      const values = [
        { a: 'quote " backslash \\ slash /' },
        { line: 'one\ntwo\ttab \u0001', unicode: 'Zürich 東京 😀', nested: { list: [1, null, true, '}{,'] } },
        {},
        { empty: '' },
        { braces: '{"x": [1]}' },
      ];
      const rows = await db.query<{ text: string }>('select unnest($1::text[]) as text', [jsonTextArray(values)]);
      expect(rows.map((r) => JSON.parse(r.text))).toEqual(values);
      expect(rows.map((r) => r.text)).toEqual(values.map((v) => JSON.stringify(v)));
      expect(await db.query('select cardinality($1::text[]) as n', [jsonTextArray([])])).toEqual([{ n: 0 }]);
    });

    it('rewrites a SIM from telemetry only when something changed or its last-seen time is a resolution old', async () => {
      await db.query("insert into accounts (id, name) values ('acc_seen', 'seen')");
      await db.query("insert into sims (iccid, imsi, account_id, status) values ('8988303000000009991', '901280000009991', 'acc_seen', 'active')");
      const sims = new SimRepository(db);
      const iccid = '8988303000000009991';
      const at = (ms: number) => new Date(Date.parse('2026-11-28T10:00:00Z') + ms);
      const apply = (update: Omit<Parameters<SimRepository['applyTelemetry']>[1][number], 'iccid'>) =>
        db.transaction((tx) => sims.applyTelemetry(tx, [{ iccid, ...update }], 1_000));
      const row = async () =>
        (
          await db.query<{ last_seen_at: Date; rat: string | null; last_lat: number | null }>(
            'select last_seen_at, rat, last_lat from sims where iccid = $1',
            [iccid],
          )
        )[0];

      await apply({ lastSeenAt: at(0), mcc: '208', mnc: '01', rat: 'LTE-M' });
      expect(await row()).toEqual({ last_seen_at: at(0), rat: 'LTE-M', last_lat: null });
      await apply({ lastSeenAt: at(400), mcc: '208', mnc: '01', rat: 'LTE-M' }); // nothing new, seen 0.4 s later: left alone
      expect((await row()).last_seen_at).toEqual(at(0));
      await apply({ lastSeenAt: at(500), mcc: '208', mnc: '01', rat: 'NB-IoT' }); // the radio changed: written
      expect(await row()).toEqual({ last_seen_at: at(500), rat: 'NB-IoT', last_lat: null });
      await apply({ lastSeenAt: at(600), location: { lat: 48.85, lon: 2.35, accuracyM: 10, source: 'gps', at: at(600) } }); // a new fix: written
      expect(await row()).toEqual({ last_seen_at: at(600), rat: 'NB-IoT', last_lat: 48.85 });
      await apply({ lastSeenAt: at(1_600), rat: 'NB-IoT' }); // a resolution after the last write: written
      expect((await row()).last_seen_at).toEqual(at(1_600));
      await apply({ lastSeenAt: at(1_000), rat: 'NB-IoT' }); // late: never moves last seen back
      expect((await row()).last_seen_at).toEqual(at(1_600));
    });

    it('records events of an account without an enabled webhook endpoint as already dispatched', async () => {
      await db.query("insert into accounts (id, name) values ('acc_hooked', 'hooked'), ('acc_quiet', 'quiet')");
      await db.query(
        `insert into webhook_endpoints (id, account_id, url, events, enabled, secret) values
           ('whk_on', 'acc_hooked', 'https://example.com/a', '{*}', true, 's'), ('whk_off', 'acc_quiet', 'https://example.com/b', '{*}', false, 's')`,
      );
      const at = new Date('2026-11-28T10:00:00Z');
      const events = [
        domainEvent('group.created', 'acc_hooked', 'grp_1', { n: 1 }, at),
        domainEvent('group.created', 'acc_quiet', 'grp_2', { n: 2 }, at),
        domainEvent('group.created', null, 'system', { n: 3 }, at),
      ];
      await db.transaction((tx) => new EventRepository(db).append(tx, events));
      const rows = await db.query<{ account_id: string | null; undispatched: boolean; data: string }>(
        'select account_id, dispatched_at is null as undispatched, data from events where id = any($1::text[]) order by subject',
        [events.map((e) => e.id)],
      );
      expect(rows).toEqual([
        { account_id: 'acc_hooked', undispatched: true, data: '{"n":1}' },
        { account_id: 'acc_quiet', undispatched: false, data: '{"n":2}' },
        { account_id: null, undispatched: false, data: '{"n":3}' },
      ]);
    });

    // Two connections at once: PostgreSQL only (PGlite has one connection, so nothing runs concurrently).
    if (engine === 'postgres') {
      it('makes an endpoint registration wait for the event appends of its account in flight', async () => {
        await db.query("insert into accounts (id, name) values ('acc_race', 'race')");
        const order: string[] = [];
        let commitAppend!: () => void;
        const appendHeld = new Promise<void>((resolve) => (commitAppend = resolve));
        let appended!: () => void;
        const appendDone = new Promise<void>((resolve) => (appended = resolve));
        const appending = db.transaction(async (tx) => {
          await new EventRepository(db).append(tx, [domainEvent('group.created', 'acc_race', 'grp_r', {}, new Date())]);
          appended();
          await appendHeld;
          order.push('append committed');
        });
        await appendDone;
        const registering = db.transaction(async (tx) => {
          await new WebhookRepository(db, new SecretBox(SecretBox.generateKey())).lockRegistrations(tx, 'acc_race');
          order.push('registration locked');
        });
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(order).toEqual([]);
        commitAppend();
        await Promise.all([appending, registering]);
        expect(order).toEqual(['append committed', 'registration locked']);
      });
    }
  });
});
