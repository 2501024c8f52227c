import fc from 'fast-check';
import {
  type Database,
  migrate,
  SimCountsRepository,
  SimFleetRepository,
  TelemetryQueriesRepository,
  UsageLedgerRepository,
  UsageRollupsRepository,
  UnitOfWork,
} from '@simfleet/persistence';
import { type DataSession, mergeDataSession, sessionChanged, sessionKey } from '@simfleet/domain';
import { lookupNetwork, SqlTelemetryStore } from '@simfleet/telemetry';
import { FleetMaintenance, foldNetworkStats, foldUsage, networkStatsGeoJson, UsageReports } from '@simfleet/application';
import { requireServers } from '../harness/isolation.js';
import { databaseEngines } from './support/engines.js';

// The usage rollups (migration 0052) against the sessions they summarise: after random sequences of
// ingestion batches (interim and final counters, late records, redeliveries, batches racing on the same
// sessions), SIMs changing group, compactions and rebuilds, every report over whole days answered from
// the rollups equals the same report folded from the raw sessions — bytes, sessions and distinct SIMs.

const engines = databaseEngines(6);

const ACCOUNTS = ['acc_r1', 'acc_r2'];
const GROUPS = ['grp_r1', 'grp_r2'];
const SIMS_PER_ACCOUNT = 8;
const NETWORKS: Array<[string, string, string]> = [
  ['208', '01', 'LTE-M'],
  ['208', '01', 'NB-IoT'],
  ['262', '01', '4G'],
  ['208', '10', 'LTE-M'],
  ['999', '99', '2G'],
];
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 1);

interface Rec {
  account: number;
  sim: number;
  session: number;
  day: number;
  minute: number;
  up: number;
  down: number;
  network: number;
  ended: boolean;
}

type Op =
  | { kind: 'ingest'; records: Rec[]; split: boolean }
  | { kind: 'redeliver' }
  | { kind: 'group'; account: number; sim: number; group: number | null }
  | { kind: 'compact' }
  | { kind: 'repair'; account: number; rebuild: boolean };

const recArb: fc.Arbitrary<Rec> = fc.record({
  account: fc.nat(1),
  sim: fc.nat(SIMS_PER_ACCOUNT - 1),
  session: fc.nat(4),
  day: fc.integer({ min: 0, max: 20 }),
  minute: fc.nat(24 * 60 - 1),
  up: fc.nat(5_000),
  down: fc.nat(50_000),
  network: fc.nat(NETWORKS.length - 1),
  ended: fc.boolean(),
});

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('ingest' as const), records: fc.array(recArb, { minLength: 1, maxLength: 12 }), split: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('redeliver' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('group' as const),
      account: fc.nat(1),
      sim: fc.nat(SIMS_PER_ACCOUNT - 1),
      group: fc.option(fc.nat(GROUPS.length - 1), { nil: null }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('repair' as const), account: fc.nat(1), rebuild: fc.boolean() }) },
);

const iccidOf = (account: number, sim: number) => `89490000${account}000000${String(sim).padStart(4, '0')}`;

describe.each(engines)('usage rollups on %s', (engine, open) => {
  const suite = engine === 'postgres' ? requireServers('postgres') : describe;
  suite(engine, () => {
    let db: Database;
    let release: () => Promise<void>;
    let ledger: UsageLedgerRepository;
    let rollups: UsageRollupsRepository;
    let store: SqlTelemetryStore;
    let unit: UnitOfWork;
    let fleet: SimFleetRepository;
    let reports: UsageReports;
    let maintenance: FleetMaintenance;
    let lastBatch: Rec[] = [];

    beforeAll(async () => {
      ({ db, release } = await open());
      await migrate(db);
      ledger = new UsageLedgerRepository(db);
      rollups = new UsageRollupsRepository(db);
      unit = new UnitOfWork(db);
      store = new SqlTelemetryStore(unit);
      fleet = new SimFleetRepository(db);
      reports = new UsageReports(store, new TelemetryQueriesRepository(db), rollups);
      maintenance = new FleetMaintenance(new SimCountsRepository(db), rollups);
      for (const [a, account] of ACCOUNTS.entries()) {
        await db.query(`insert into accounts (id, name) values ($1, $1)`, [account]);
        for (const group of GROUPS) await db.query(`insert into sim_groups (id, account_id, name) values ($1, $2, $1)`, [`${group}_${a}`, account]);
        for (let sim = 0; sim < SIMS_PER_ACCOUNT; sim++) {
          const iccid = iccidOf(a, sim);
          await db.query(`insert into sims (iccid, imsi, account_id, status, group_id) values ($1, $2, $3, 'active', $4)`, [
            iccid,
            `9${iccid}`,
            account,
            sim % 3 === 0 ? null : `${GROUPS[sim % 2]}_${a}`,
          ]);
        }
      }
    }, 120_000);
    afterAll(async () => release?.());

    /** One ingestion batch as IngestTelemetry writes it: collapsed per session, ledger, rollups, store, one transaction. */
    async function ingest(records: Rec[]): Promise<void> {
      const latest = new Map<string, DataSession>();
      for (const r of records) {
        const [mcc, mnc, rat] = NETWORKS[r.network];
        const network = lookupNetwork(mcc, mnc);
        const entry: DataSession = {
          iccid: iccidOf(r.account, r.sim),
          sessionId: `s${r.session}`,
          accountId: ACCOUNTS[r.account],
          startedAt: new Date(T0 + r.day * DAY + r.minute * 60_000),
          endedAt: r.ended ? new Date(T0 + r.day * DAY + r.minute * 60_000 + 60_000) : null,
          bytesUp: r.up,
          bytesDown: r.down,
          mcc,
          mnc,
          country: network.country,
          network: network.name,
          rat,
          cellId: null,
          imei: null,
          receivedAt: new Date(),
          rating: null,
        };
        const key = `${entry.iccid}/${entry.sessionId}`;
        const seen = latest.get(key);
        latest.set(
          key,
          seen
            ? {
                ...seen,
                bytesUp: Math.max(seen.bytesUp, entry.bytesUp),
                bytesDown: Math.max(seen.bytesDown, entry.bytesDown),
                endedAt: seen.endedAt ?? entry.endedAt,
              }
            : entry,
        );
      }
      const entries = [...latest.values()].sort((a, b) => (`${a.iccid}/${a.sessionId}` < `${b.iccid}/${b.sessionId}` ? -1 : 1));
      await unit.run(async (tx) => {
        const stored = await ledger.lockSessions(tx, entries);
        const changes = entries.map((e) => {
          const before = stored.get(sessionKey(e)) ?? null;
          return { before, after: before ? mergeDataSession(before, e) : e };
        });
        await ledger.save(
          tx,
          changes.filter((c) => !c.before || sessionChanged(c.before, c.after)).map((c) => c.after),
          new Date(),
        );
        await rollups.record(
          tx,
          changes.filter((c) => !c.before).map((c) => c.after),
        );
        await store.write({ sessions: changes.map((c) => c.after), locations: [], statuses: [] });
      });
    }

    async function apply(op: Op): Promise<void> {
      switch (op.kind) {
        case 'ingest':
          lastBatch = op.records;
          if (op.split && engine === 'postgres') {
            // Two batches racing on overlapping sessions, as two workers may run them.
            const half = Math.ceil(op.records.length / 2);
            await Promise.all([ingest(op.records.slice(0, half + 1)), ingest(op.records.slice(half - 1))]);
          } else await ingest(op.records);
          return;
        case 'redeliver':
          if (lastBatch.length) await Promise.all([ingest(lastBatch), engine === 'postgres' ? ingest(lastBatch) : Promise.resolve()]);
          return;
        case 'group': {
          // What SimOrganisationService.update does for a group change.
          const account = ACCOUNTS[op.account];
          const groupId = op.group === null ? null : `${GROUPS[op.group]}_${op.account}`;
          await db.transaction(async (tx) => {
            await rollups.lockForGroupChange(tx, account);
            const [current] = await tx.query<{ group_id: string | null }>('select group_id from sims where iccid = $1 for update', [
              iccidOf(op.account, op.sim),
            ]);
            const sim = await fleet.update(tx, iccidOf(op.account, op.sim), { groupId }, new Date());
            await rollups.moveSimGroup(tx, account, sim.iccid, current.group_id, sim.groupId);
          });
          return;
        }
        case 'compact':
          await maintenance.compact();
          return;
        case 'repair': {
          // The fleet.repair job: healthy rollups are found to add up and left alone, unless a rebuild is asked.
          const report = await maintenance.repair(ACCOUNTS[op.account], op.rebuild);
          expect(report.rebuilt).toEqual(op.rebuild ? [ACCOUNTS[op.account]] : []);
          return;
        }
      }
    }

    /** Every report over [from, to) from the rollups, and the same folded from the raw sessions. */
    async function compare(account: string, fromDay: number, toDay: number): Promise<void> {
      const from = new Date(T0 + fromDay * DAY);
      const to = new Date(T0 + toDay * DAY);
      const raw = await store.sessionTotals({ accountId: account, from, to });
      for (const groupBy of ['network', 'country', 'rat'] as const) {
        expect((await reports.usageReport(account, groupBy, from, to)).rows).toEqual(foldUsage(raw, groupBy));
      }
      expect((await reports.networkStats(account, from, to)).networks).toEqual(foldNetworkStats(raw));
      expect(await reports.networkStatsGeoJson(account, from, to)).toEqual(networkStatsGeoJson(raw));
      const groups = (await reports.usageReport(account, 'group', from, to)).rows;
      // The raw path for groups: the ledger joined to each SIM's group now (a range not made of whole days).
      const rawGroups = (await reports.usageReport(account, 'group', new Date(from.getTime() - 1), to)).rows;
      const startsAtEdge = await db.query('select 1 from usage_ledger where account_id = $1 and started_at = $2', [
        account,
        new Date(from.getTime() - 1),
      ]);
      expect(startsAtEdge).toEqual([]);
      expect(groups).toEqual(rawGroups);
    }

    it('answers every whole-day report from the rollups exactly as from the sessions, whatever happened', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(opArb, { minLength: 1, maxLength: 14 }),
          fc.integer({ min: -1, max: 21 }),
          fc.integer({ min: 1, max: 23 }),
          async (ops, fromDay, length) => {
            for (const op of ops) await apply(op);
            for (const account of ACCOUNTS) await compare(account, fromDay, fromDay + length);
          },
        ),
        { numRuns: engine === 'pglite' ? 25 : 40 },
      );
      for (const account of ACCOUNTS) {
        expect(await rollups.agreesWithLedger(account)).toBe(true);
        await compare(account, -1, 22);
        await rollups.rebuild(account);
        await compare(account, 0, 21);
      }
    }, 900_000);

    it('finds rollups that do not add up to the ledger, and the rebuild makes them add up', async () => {
      await db.query(
        `insert into usage_daily (account_id, day, mcc, mnc, network, country, rat, bytes_up, bytes_down, sessions) values ($1, '2026-03-02', '208', '01', 'Orange', 'FR', 'LTE-M', 5, 5, 1)`,
        [ACCOUNTS[0]],
      );
      expect(await rollups.agreesWithLedger(ACCOUNTS[0])).toBe(false);
      expect((await maintenance.repair(ACCOUNTS[0])).rebuilt).toEqual([ACCOUNTS[0]]);
      expect(await rollups.agreesWithLedger(ACCOUNTS[0])).toBe(true);
      expect((await maintenance.repair(ACCOUNTS[0])).rebuilt).toEqual([]);
      await compare(ACCOUNTS[0], 0, 21);
    });
  });
});
