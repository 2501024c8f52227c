import fc from 'fast-check';
import { type Database, migrate, SimCountsRepository, SimFleetRepository, SimRepository, type FleetSummary } from '@simfleet/persistence';
import { SIM_STATUSES, type SimStatus } from '@simfleet/domain';
import { requireServers } from '../harness/isolation.js';
import { databaseEngines } from './support/engines.js';

// The summary counters (migration 0051) after random sequences of whatever writes SIMs — stock, orders
// and their cancellation, lifecycle actions one by one and in bulk, regrouping, telemetry moving SIMs
// between networks, plain SQL, deletions — with compactions in between and some writes racing each
// other: the summary always equals a recount, and a repair finds nothing to correct. A corrupted counter
// is found and corrected by the repair.

const engines = databaseEngines(6);

const ACCOUNTS = ['acc_c1', 'acc_c2'];
const GROUPS: Record<string, string[]> = { acc_c1: ['grp_c1a', 'grp_c1b'], acc_c2: ['grp_c2a'] };
const NETWORKS: Array<[string, string]> = [
  ['Orange', 'FR'],
  ['Vodafone', 'DE'],
  ['Telia', 'SE'],
];

type Op =
  | { kind: 'stock'; n: number }
  | { kind: 'allocate'; account: number; n: number }
  | { kind: 'release'; account: number }
  | { kind: 'status'; account: number; pick: number; to: SimStatus }
  | { kind: 'bulkStatus'; account: number; n: number; to: SimStatus }
  | { kind: 'group'; account: number; pick: number; group: number | null }
  | { kind: 'telemetry'; account: number; n: number; network: number; changeOnlySeen: boolean }
  | { kind: 'sql'; account: number; to: SimStatus }
  | { kind: 'delete'; n: number }
  | { kind: 'compact'; account: number }
  | { kind: 'race'; account: number; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('stock' as const), n: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('allocate' as const), account: fc.nat(1), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('release' as const), account: fc.nat(1) }),
  fc.record({ kind: fc.constant('status' as const), account: fc.nat(1), pick: fc.nat(50), to: fc.constantFrom(...SIM_STATUSES) }),
  fc.record({
    kind: fc.constant('bulkStatus' as const),
    account: fc.nat(1),
    n: fc.integer({ min: 1, max: 20 }),
    to: fc.constantFrom(...SIM_STATUSES),
  }),
  fc.record({ kind: fc.constant('group' as const), account: fc.nat(1), pick: fc.nat(50), group: fc.option(fc.nat(1), { nil: null }) }),
  fc.record({
    kind: fc.constant('telemetry' as const),
    account: fc.nat(1),
    n: fc.integer({ min: 1, max: 10 }),
    network: fc.nat(NETWORKS.length - 1),
    changeOnlySeen: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('sql' as const), account: fc.nat(1), to: fc.constantFrom(...SIM_STATUSES) }),
  fc.record({ kind: fc.constant('delete' as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('compact' as const), account: fc.nat(1) }),
  fc.record({ kind: fc.constant('race' as const), account: fc.nat(1), n: fc.integer({ min: 2, max: 6 }) }),
);

/** The summary as the old full scan computed it: the definition the counters must keep. */
async function recount(
  db: Database,
  accountId: string,
): Promise<Omit<FleetSummary, 'byGroup'> & { byGroup: Array<{ groupId: string | null; count: number }> }> {
  const count = async (column: string) =>
    (
      await db.query<{ key: string | null; n: number }>(`select ${column} as key, count(*)::bigint as n from sims where account_id = $1 group by 1`, [
        accountId,
      ])
    ).map((r) => ({ key: r.key, n: r.n }));
  const byStatus = new Map((await count('status')).map((r) => [r.key, r.n]));
  const sorted = (rows: Array<{ key: string | null; n: number }>) => rows.sort((a, b) => b.n - a.n || String(a.key).localeCompare(String(b.key)));
  return {
    total: [...byStatus.values()].reduce((a, b) => a + b, 0),
    byStatus: SIM_STATUSES.map((status) => ({ status, count: byStatus.get(status) ?? 0 })),
    byGroup: sorted(await count('group_id')).map((r) => ({ groupId: r.key, count: r.n })),
    byCountry: sorted(await count('country')).map((r) => ({ country: r.key, count: r.n })),
    byNetwork: sorted(await count('network')).map((r) => ({ network: r.key, count: r.n })),
  };
}

describe.each(engines)('fleet summary counters on %s', (engine, open) => {
  const suite = engine === 'postgres' ? requireServers('postgres') : describe;
  suite(engine, () => {
    let db: Database;
    let release: () => Promise<void>;
    let fleet: SimFleetRepository;
    let counts: SimCountsRepository;
    let sims: SimRepository;
    let serial = 0;

    beforeAll(async () => {
      ({ db, release } = await open());
      await migrate(db);
      fleet = new SimFleetRepository(db);
      counts = new SimCountsRepository(db);
      sims = new SimRepository(db);
      for (const account of ACCOUNTS) {
        await db.query(`insert into accounts (id, name) values ($1, $1)`, [account]);
        for (const group of GROUPS[account]) await db.query(`insert into sim_groups (id, account_id, name) values ($1, $2, $1)`, [group, account]);
      }
    }, 120_000);
    afterAll(async () => release?.());

    const accountSims = async (account: string, limit = 1000) =>
      (await db.query<{ iccid: string }>('select iccid from sims where account_id = $1 order by iccid limit $2', [account, limit])).map(
        (r) => r.iccid,
      );

    async function apply(op: Op): Promise<void> {
      const account = ACCOUNTS[op.kind === 'stock' || op.kind === 'delete' ? 0 : op.account];
      const at = new Date(Date.UTC(2026, 5, 1) + serial * 1000);
      switch (op.kind) {
        case 'stock': {
          const stock = Array.from({ length: op.n }, () => {
            serial += 1;
            const n = String(serial).padStart(8, '0');
            return { iccid: `89490000000${n}`, imsi: `26201000${n}`, msisdn: `+49150${n}`, eid: null, formFactor: '4FF' as const };
          });
          await sims.insertStock(stock);
          return;
        }
        case 'allocate':
          await db.transaction((tx) => sims.allocate(tx, account, `ord_${serial++}`, '4FF', op.n, at));
          return;
        case 'release': {
          // An order cancelled before shipping: its inventory SIMs go back to stock.
          const [order] = await db.query<{ order_id: string }>(
            `select order_id from sims where account_id = $1 and order_id is not null and status = 'inventory' order by iccid limit 1`,
            [account],
          );
          if (order) await db.transaction((tx) => sims.release(tx, order.order_id));
          return;
        }
        case 'status': {
          const own = await accountSims(account);
          if (own.length) await db.transaction((tx) => sims.setStatus(tx, own[op.pick % own.length], op.to, at));
          return;
        }
        case 'bulkStatus': {
          const own = await accountSims(account, op.n);
          await db.transaction((tx) =>
            sims.setStatuses(
              tx,
              own.map((iccid) => ({ iccid, status: op.to })),
              at,
            ),
          );
          return;
        }
        case 'group': {
          const own = await accountSims(account);
          const groupId = op.group === null ? null : GROUPS[account][op.group % GROUPS[account].length];
          if (own.length) await db.transaction((tx) => fleet.update(tx, own[op.pick % own.length], { groupId }, at));
          return;
        }
        case 'telemetry': {
          const [network, country] = NETWORKS[op.network];
          const own = await accountSims(account, op.n);
          await db.transaction((tx) =>
            sims.applyTelemetry(
              tx,
              own.map((iccid) => ({ iccid, lastSeenAt: at, network, country, mcc: '208', mnc: '01', rat: 'LTE-M' })),
              op.changeOnlySeen ? 0 : 1_000,
            ),
          );
          return;
        }
        case 'sql':
          await db.query(
            `update sims set status = $2 where account_id = $1 and iccid in (select iccid from sims where account_id = $1 order by iccid desc limit 3)`,
            [account, op.to],
          );
          return;
        case 'delete':
          // Only stock SIMs have no history to keep; deleting them still moves no account's counters.
          await db.query(`delete from sims where iccid in (select iccid from sims where account_id is null order by iccid limit $1)`, [op.n]);
          return;
        case 'compact':
          await counts.compact(account);
          return;
        case 'race': {
          // Concurrent writers of the same account, with a compaction in the middle: none waits on a shared counter row.
          const own = await accountSims(account, op.n);
          await Promise.all([
            ...own.map((iccid, i) => db.transaction((tx) => sims.setStatus(tx, iccid, SIM_STATUSES[i % SIM_STATUSES.length], at))),
            counts.compact(account),
            db.transaction((tx) =>
              sims.applyTelemetry(
                tx,
                own.slice(0, 1).map((iccid) => ({ iccid, lastSeenAt: at, network: 'Race', country: 'IT' })),
                0,
              ),
            ),
          ]);
          return;
        }
      }
    }

    it('equals a recount after any sequence of writes, compactions included, and a repair corrects nothing', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
          for (const op of ops) await apply(op);
          for (const account of ACCOUNTS) {
            const summary = await fleet.summary(account);
            const expected = await recount(db, account);
            expect({ ...summary, byGroup: summary.byGroup.map(({ groupId, count }) => ({ groupId, count })) }).toEqual(expected);
          }
        }),
        { numRuns: engine === 'pglite' ? 25 : 40 },
      );
      for (const account of ACCOUNTS) expect(await counts.repair(account)).toEqual([]);
    }, 600_000);

    it('repairs counters that were corrupted behind the triggers’ back, and says what it corrected', async () => {
      const before = await fleet.summary(ACCOUNTS[0]);
      await db.query(`insert into sim_counts (account_id, dimension, key, n) values ($1, 'status', 'active', 5), ($1, 'network', 'Ghost', 2)`, [
        ACCOUNTS[0],
      ]);
      const active = before.byStatus.find((s) => s.status === 'active')!.count;
      expect((await fleet.summary(ACCOUNTS[0])).byStatus).toContainEqual({ status: 'active', count: active + 5 });
      const drift = await counts.repair(ACCOUNTS[0]);
      expect(drift).toEqual(
        expect.arrayContaining([
          { dimension: 'status', key: 'active', counted: active + 5, actual: active },
          { dimension: 'network', key: 'Ghost', counted: 2, actual: 0 },
        ]),
      );
      expect(drift).toHaveLength(2);
      expect(await fleet.summary(ACCOUNTS[0])).toEqual(before);
      // Compacted, the counters hold one row per key.
      await counts.compact(ACCOUNTS[0]);
      const [{ rows, keys }] = await db.query<{ rows: number; keys: number }>(
        `select count(*)::bigint as rows, count(distinct (dimension, coalesce(key, '')))::bigint as keys from sim_counts where account_id = $1`,
        [ACCOUNTS[0]],
      );
      expect(rows).toBe(keys);
      expect(await fleet.summary(ACCOUNTS[0])).toEqual(before);
    });
  });
});
