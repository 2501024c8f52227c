import fc from 'fast-check';
import { type Database, migrate, SimCountsRepository, SimFleetRepository, type SimListPosition } from '@simfleet/persistence';
import { SIM_SORT_FIELDS, SIM_STATUSES, type SimListFilter, type SimSort } from '@simfleet/domain';
import { requireServers } from '../harness/isolation.js';
import { databaseEngines } from './support/engines.js';

// The fleet list (walk, then gather: migration 0050) and the summary counters (migration 0051) checked
// against a plain evaluation of their definition, over random fleets, filters, sorts, page sizes and walk
// budgets, on both engines. A small walk budget makes most pages gather; a large one makes them walk.

const engines = databaseEngines(4);

interface SeedSim {
  iccid: string;
  msisdn: string;
  accountId: string | null;
  name: string | null;
  status: string;
  tags: Record<string, string>;
  groupId: string | null;
  country: string | null;
  network: string | null;
  lastSeenAt: Date | null;
  endUserDevice: boolean;
  createdAt: Date;
}

const ACCOUNT = 'acc_list';
const OTHER = 'acc_list_other';
const GROUPS = ['grp_a', 'grp_b', 'grp_c'];
const COUNTRIES = ['FR', 'DE', 'ES'];
const NETWORKS = ['Orange', 'Vodafone', 'Movistar'];
const NAMES = ['meter', 'Meter', 'pump', 'gate_1', 'gate%2', 'Sensor'];
const T0 = Date.UTC(2026, 0, 1);

/** A small deterministic generator (mulberry32): the same fleet on both engines. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fleet(): SeedSim[] {
  const rnd = prng(17);
  const pick = <T>(values: readonly T[]) => values[Math.floor(rnd() * values.length)];
  const sims: SeedSim[] = [];
  for (let i = 0; i < 420; i++) {
    const accountId = i < 300 ? ACCOUNT : i < 400 ? OTHER : null;
    const seen = rnd() < 0.7;
    const tags: Record<string, string> = {};
    if (rnd() < 0.6) tags.env = pick(['prod', 'dev']);
    if (rnd() < 0.4) tags.site = pick(['a', 'b', 'c']);
    sims.push({
      iccid: `894900000000${String(1000 + i).padStart(6, '0')}${i % 10}`,
      msisdn: `+336${String(10_000_000 + ((i * 7919) % 1000)).padStart(8, '0')}`,
      accountId,
      // Ties on purpose: several SIMs share a last-seen time or a creation time, so the ICCID breaks them.
      name: accountId && rnd() < 0.6 ? `${pick(NAMES)}-${i}` : null,
      status: accountId ? pick(SIM_STATUSES) : 'inventory',
      tags,
      groupId: accountId === ACCOUNT && rnd() < 0.7 ? pick(GROUPS) : null,
      country: seen ? pick(COUNTRIES) : null,
      network: seen ? pick(NETWORKS) : null,
      lastSeenAt: seen ? new Date(T0 + Math.floor(rnd() * 40) * 3_600_000) : null,
      endUserDevice: rnd() < 0.3,
      createdAt: new Date(T0 - Math.floor(rnd() * 20) * 86_400_000),
    });
  }
  return sims;
}

/** The filter's definition, in plain code. */
function matches(sim: SeedSim, f: SimListFilter): boolean {
  if (f.status?.length && !f.status.includes(sim.status)) return false;
  for (const [key, value] of Object.entries(f.tags ?? {})) if (sim.tags[key] !== value) return false;
  if (f.groupId !== undefined && sim.groupId !== f.groupId) return false;
  if (f.network !== undefined && sim.network !== f.network) return false;
  if (f.country !== undefined && sim.country !== f.country) return false;
  if (f.lastSeenBefore && !(sim.lastSeenAt && sim.lastSeenAt < f.lastSeenBefore)) return false;
  if (f.lastSeenAfter && !(sim.lastSeenAt && sim.lastSeenAt >= f.lastSeenAfter)) return false;
  if (f.endUserDevice !== undefined && sim.endUserDevice !== f.endUserDevice) return false;
  if (f.q !== undefined) {
    const q = f.q;
    const byName = sim.name !== null && sim.name.toLowerCase().includes(q.toLowerCase());
    const byIccid = /^\d+$/.test(q) && sim.iccid.startsWith(q);
    const byMsisdn = /^\+?\d+$/.test(q) && sim.msisdn.startsWith(q.startsWith('+') ? q : `+${q}`);
    if (!byName && !byIccid && !byMsisdn) return false;
  }
  return true;
}

/** The sort's definition: the key (unset last ascending, first descending), then the ICCID, in one direction. */
function compare(sort: SimSort): (a: SeedSim, b: SeedSim) => number {
  const key = (s: SeedSim): string | number | null =>
    sort.field === 'iccid'
      ? s.iccid
      : sort.field === 'name'
        ? s.name
        : sort.field === 'lastSeenAt'
          ? (s.lastSeenAt?.getTime() ?? null)
          : s.createdAt.getTime();
  const cmp = (x: string | number, y: string | number) => (x < y ? -1 : x > y ? 1 : 0);
  return (a, b) => {
    const [ka, kb] = [key(a), key(b)];
    let c: number;
    if (ka === null || kb === null) c = ka === kb ? 0 : ka === null ? 1 : -1;
    else c = cmp(ka, kb);
    if (c === 0) c = cmp(a.iccid, b.iccid);
    return sort.descending ? -c : c;
  };
}

const filterArb = (sims: SeedSim[]): fc.Arbitrary<SimListFilter> => {
  const own = sims.filter((s) => s.accountId === ACCOUNT);
  const q = fc.oneof(
    fc.constantFrom('meter', 'METER', 'gate_', '%', '_1', 'ens', 'zzz'),
    fc.constantFrom(...own.slice(0, 20)).chain((s) => fc.integer({ min: 2, max: 19 }).map((n) => s.iccid.slice(0, n))),
    fc.constantFrom(...own.slice(0, 20)).chain((s) => fc.integer({ min: 3, max: 12 }).map((n) => s.msisdn.slice(1, n))),
    fc.constantFrom('+3361', '+33610000'),
  );
  const instant = fc.integer({ min: -2, max: 42 }).map((h) => new Date(T0 + h * 3_600_000));
  return fc
    .record(
      {
        status: fc.subarray([...SIM_STATUSES], { minLength: 1 }),
        tags: fc.oneof(fc.constant({ env: 'prod' }), fc.constant({ site: 'b' }), fc.constant({ env: 'dev', site: 'a' }), fc.constant({ env: 'qa' })),
        groupId: fc.constantFrom<string | null>(...GROUPS, null, 'grp_other'),
        network: fc.constantFrom(...NETWORKS),
        country: fc.constantFrom(...COUNTRIES),
        lastSeenBefore: instant,
        lastSeenAfter: instant,
        endUserDevice: fc.boolean(),
        q,
      },
      { requiredKeys: [] },
    )
    .map((f) => f as SimListFilter);
};

const sortArb = fc.record({ field: fc.constantFrom(...SIM_SORT_FIELDS), descending: fc.boolean() });

describe.each(engines)('fleet list and summary on %s', (engine, open) => {
  const suite = engine === 'postgres' ? requireServers('postgres') : describe;
  suite(engine, () => {
    let db: Database;
    let release: () => Promise<void>;
    let fleetRepo: SimFleetRepository;
    let counts: SimCountsRepository;
    const sims = fleet();

    beforeAll(async () => {
      ({ db, release } = await open());
      await migrate(db);
      fleetRepo = new SimFleetRepository(db);
      counts = new SimCountsRepository(db);
      await db.query(`insert into accounts (id, name) values ($1, 'List'), ($2, 'Other')`, [ACCOUNT, OTHER]);
      for (const id of [...GROUPS, 'grp_other'])
        await db.query(`insert into sim_groups (id, account_id, name) values ($1, $2, $1)`, [id, id === 'grp_other' ? OTHER : ACCOUNT]);
      await db.query(
        `insert into sims (iccid, imsi, msisdn, account_id, name, status, tags, group_id, country, network, last_seen_at, end_user_device, created_at)
         select t.iccid, '9' || t.iccid, t.msisdn, t.account_id, t.name, t.status, t.tags::jsonb, t.group_id, t.country, t.network, t.last_seen_at, t.eud, t.created_at
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::boolean[], $12::timestamptz[])
             as t(iccid, msisdn, account_id, name, status, tags, group_id, country, network, last_seen_at, eud, created_at)`,
        [
          sims.map((s) => s.iccid),
          sims.map((s) => s.msisdn),
          sims.map((s) => s.accountId),
          sims.map((s) => s.name),
          sims.map((s) => s.status),
          sims.map((s) => JSON.stringify(s.tags)),
          sims.map((s) => s.groupId),
          sims.map((s) => s.country),
          sims.map((s) => s.network),
          sims.map((s) => s.lastSeenAt?.toISOString() ?? null),
          sims.map((s) => s.endUserDevice),
          sims.map((s) => s.createdAt.toISOString()),
        ],
      );
    }, 120_000);
    afterAll(async () => release?.());

    /** Every page of a listing, following the keyset positions as the API's cursors do. */
    async function listAll(filter: SimListFilter, sort: SimSort, limit: number, walkBudget: number): Promise<string[]> {
      const seen: string[] = [];
      let after: SimListPosition | undefined;
      for (let pages = 0; pages < 400; pages++) {
        const rows = await fleetRepo.list(ACCOUNT, filter, sort, limit + 1, after, walkBudget);
        const page = rows.slice(0, limit);
        seen.push(...page.map((r) => r.sim.iccid));
        if (rows.length <= limit) return seen;
        after = page[page.length - 1].position;
      }
      throw new Error('too many pages');
    }

    it('lists exactly the matching SIMs of the account, in order, page after page, walking or gathering', async () => {
      await fc.assert(
        fc.asyncProperty(
          filterArb(sims),
          sortArb,
          fc.integer({ min: 1, max: 60 }),
          fc.constantFrom(1, 3, 25, 10_000),
          async (filter, sort, limit, walkBudget) => {
            const expected = sims
              .filter((s) => s.accountId === ACCOUNT && matches(s, filter))
              .sort(compare(sort))
              .map((s) => s.iccid);
            expect(await listAll(filter, sort, limit, walkBudget)).toEqual(expected);
          },
        ),
        { numRuns: engine === 'pglite' ? 120 : 200 },
      );
    }, 600_000);

    it('resolves a bulk filter to every matching ICCID in ICCID order, and stops at the maximum asked', async () => {
      const filter: SimListFilter = { status: ['active', 'suspended'], tags: { env: 'prod' } };
      const expected = sims
        .filter((s) => s.accountId === ACCOUNT && matches(s, filter))
        .map((s) => s.iccid)
        .sort();
      expect(expected.length).toBeGreaterThan(5);
      expect(await fleetRepo.matchingIccids(ACCOUNT, filter, 10_000)).toEqual(expected);
      expect(await fleetRepo.matchingIccids(ACCOUNT, filter, 5)).toEqual(expected.slice(0, 5));
    });

    it('summarises from the counters exactly what a recount says, and a repair finds nothing to fix', async () => {
      const own = sims.filter((s) => s.accountId === ACCOUNT);
      const count = (key: (s: SeedSim) => string | null) => {
        const m = new Map<string | null, number>();
        for (const s of own) m.set(key(s), (m.get(key(s)) ?? 0) + 1);
        return m;
      };
      const summary = await fleetRepo.summary(ACCOUNT);
      expect(summary.total).toBe(own.length);
      expect(new Map(summary.byStatus.map((r) => [r.status, r.count]))).toEqual(
        new Map(SIM_STATUSES.map((st) => [st, count((s) => s.status).get(st) ?? 0])),
      );
      expect(new Map(summary.byGroup.map((r) => [r.groupId, r.count]))).toEqual(count((s) => s.groupId));
      expect(new Map(summary.byCountry.map((r) => [r.country, r.count]))).toEqual(count((s) => s.country));
      expect(new Map(summary.byNetwork.map((r) => [r.network, r.count]))).toEqual(count((s) => s.network));
      expect(await counts.repair(ACCOUNT)).toEqual([]);
      expect(await fleetRepo.summary(ACCOUNT)).toEqual(summary);
    });
  });
});
