import type { DataSession } from '@simfleet/domain';
import { PgliteDatabase, migrate, UnitOfWork, type Database } from '@simfleet/persistence';
import { InfluxTelemetryStore, SqlTelemetryStore, type TelemetryStore } from '@simfleet/telemetry';
import { createInfluxDatabase, influxQuery, requireServers, type InfluxDatabase } from '../harness/isolation.js';

const session = (overrides: Partial<DataSession>): DataSession => ({
  accountId: 'acc_1',
  iccid: '8988303000000000017',
  sessionId: 's1',
  startedAt: new Date('2026-11-27T23:30:00Z'),
  endedAt: null,
  bytesUp: 100,
  bytesDown: 1000,
  mcc: '208',
  mnc: '01',
  network: 'Orange',
  country: 'FR',
  rat: '4G',
  cellId: null,
  imei: null,
  receivedAt: new Date('2026-11-28T10:20:00Z'),
  rating: null,
  ...overrides,
});

const empty = { locations: [], statuses: [] };

// Both telemetry stores must give the same answers to the same writes, and a re-write must overwrite.
async function exercise(store: TelemetryStore) {
  await store.write({ sessions: [session({})], ...empty });
  // An interim update of s1 (same key, larger cumulative counters) and a second session the next day.
  await store.write({
    sessions: [
      session({ bytesUp: 150, bytesDown: 1500, endedAt: new Date('2026-11-28T00:10:00Z') }),
      session({ sessionId: 's2', startedAt: new Date('2026-11-28T10:15:00Z'), bytesUp: 7, bytesDown: 3 }),
    ],
    ...empty,
  });
  // A redelivered batch changes nothing.
  await store.write({ sessions: [session({ sessionId: 's2', startedAt: new Date('2026-11-28T10:15:00Z'), bytesUp: 7, bytesDown: 3 })], ...empty });
  // Two sessions of another SIM that start in the same millisecond stay two sessions.
  const sameInstant = new Date('2026-11-28T11:00:00.123Z');
  await store.write({
    sessions: [
      session({ iccid: TWIN, sessionId: 'twin-a', startedAt: sameInstant, bytesUp: 1_000, bytesDown: 5_000 }),
      session({ iccid: TWIN, sessionId: 'twin-b', startedAt: sameInstant, bytesUp: 2_000, bytesDown: 7_000 }),
    ],
    ...empty,
  });
  const query = { accountId: 'acc_1', iccid: '8988303000000000017', from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z') };
  return {
    hour: await store.usage({ ...query, interval: 'hour' }),
    day: await store.usage({ ...query, interval: 'day' }),
    month: await store.usage({ ...query, interval: 'month' }),
    otherAccount: await store.usage({ ...query, accountId: 'acc_2', interval: 'month' }),
    narrow: await store.usage({ ...query, from: new Date('2026-11-28T00:00:00Z'), interval: 'day' }),
    twins: await store.usage({ ...query, iccid: TWIN, interval: 'hour' }),
    twinsToTheMillisecond: await store.usage({
      ...query,
      iccid: TWIN,
      from: new Date('2026-11-28T11:00:00.123Z'),
      to: new Date('2026-11-28T11:00:00.124Z'),
      interval: 'hour',
    }),
    twinTotals: await store.sessionTotals({ accountId: 'acc_1', iccid: TWIN, from: query.from, to: query.to }),
  };
}

const TWIN = '8988303000000000033';

const expected = {
  hour: [
    { start: new Date('2026-11-27T23:00:00Z'), bytesUp: 150, bytesDown: 1500, bytesTotal: 1650, sessions: 1 },
    { start: new Date('2026-11-28T10:00:00Z'), bytesUp: 7, bytesDown: 3, bytesTotal: 10, sessions: 1 },
  ],
  day: [
    { start: new Date('2026-11-27T00:00:00Z'), bytesUp: 150, bytesDown: 1500, bytesTotal: 1650, sessions: 1 },
    { start: new Date('2026-11-28T00:00:00Z'), bytesUp: 7, bytesDown: 3, bytesTotal: 10, sessions: 1 },
  ],
  month: [{ start: new Date('2026-11-01T00:00:00Z'), bytesUp: 157, bytesDown: 1503, bytesTotal: 1660, sessions: 2 }],
  otherAccount: [],
  // Usage lands where the session started (event time): s1 started on the 27th.
  narrow: [{ start: new Date('2026-11-28T00:00:00Z'), bytesUp: 7, bytesDown: 3, bytesTotal: 10, sessions: 1 }],
  // The ledger's count: 2 sessions, 15,000 bytes (InfluxDB used to merge them into one point of 9,000).
  twins: [{ start: new Date('2026-11-28T11:00:00Z'), bytesUp: 3_000, bytesDown: 12_000, bytesTotal: 15_000, sessions: 2 }],
  twinsToTheMillisecond: [{ start: new Date('2026-11-28T11:00:00Z'), bytesUp: 3_000, bytesDown: 12_000, bytesTotal: 15_000, sessions: 2 }],
  twinTotals: [{ iccid: TWIN, mcc: '208', mnc: '01', network: 'Orange', country: 'FR', rat: '4G', bytesUp: 3_000, bytesDown: 12_000, sessions: 2 }],
};

describe('SQL telemetry store', () => {
  let db: Database;
  beforeAll(async () => {
    db = await PgliteDatabase.open();
    await migrate(db);
  });
  afterAll(() => db.close());

  it('buckets usage in event time and overwrites a re-written session', async () => {
    expect(await exercise(new SqlTelemetryStore(new UnitOfWork(db)))).toEqual(expected);
  });
});

requireServers('influx')('InfluxDB telemetry store', () => {
  let influx: InfluxDatabase;
  beforeAll(async () => {
    influx = await createInfluxDatabase();
  });
  afterAll(() => influx?.drop());

  it('gives the same answers as the SQL store, with one point per session', async () => {
    const store = new InfluxTelemetryStore({ url: influx.url, database: influx.database, retentionDays: 400 });
    await store.init();
    expect(await exercise(store)).toEqual(expected);
    const points = await influxQuery(influx.url, 'SELECT count(bytes_up) FROM data_session', influx.database);
    expect(points.results?.[0].series?.[0].values[0][1]).toBe(4);
  });

  it('removes a point an interrupted run left under another network when the batch runs again', async () => {
    const store = new InfluxTelemetryStore({ url: influx.url, database: influx.database, retentionDays: 400 });
    const iccid = '8988303000000000041';
    const count = async () =>
      (await influxQuery(influx.url, `SELECT count(bytes_up) FROM data_session WHERE iccid = '${iccid}'`, influx.database)).results?.[0].series?.[0]
        .values[0][1];
    // A first run wrote the session as its record gave it (roaming on Vodafone), then its transaction rolled back;
    // another batch stored the session first, on Orange.
    const asRecorded = session({ iccid, sessionId: 'roamer', network: 'Vodafone', mnc: '10', bytesUp: 10, bytesDown: 10 });
    await store.write({ sessions: [asRecorded], ...empty });
    const asStored = session({ iccid, sessionId: 'roamer', bytesUp: 40, bytesDown: 40 });
    await store.write({ sessions: [asStored], ...empty });
    expect(await count()).toBe(2);
    // The retry of the first batch writes the session as stored and removes what its first run left.
    await store.write({ sessions: [asStored], ...empty, superseded: [asRecorded] });
    expect(await count()).toBe(1);
    const totals = await store.sessionTotals({
      accountId: 'acc_1',
      iccid,
      from: new Date('2026-11-01T00:00:00Z'),
      to: new Date('2026-12-01T00:00:00Z'),
    });
    expect(totals).toEqual([expect.objectContaining({ network: 'Orange', mnc: '01', bytesUp: 40, bytesDown: 40, sessions: 1 })]);
    // A superseded version under the session's own key is the session itself: nothing is removed.
    await store.write({ sessions: [asStored], ...empty, superseded: [asStored] });
    expect(await count()).toBe(1);
  });

  it('escapes tag values and reports an unreachable server as a retryable error', async () => {
    const store = new InfluxTelemetryStore({ url: influx.url, database: influx.database, retentionDays: 400 });
    await store.write({ sessions: [session({ iccid: '8988303000000000025', network: 'Vodafone, UK = "best"' })], ...empty });
    const tags = await influxQuery(
      influx.url,
      `SHOW TAG VALUES FROM data_session WITH KEY = "network" WHERE iccid = '8988303000000000025'`,
      influx.database,
    );
    expect(tags.results?.[0].series?.[0].values).toEqual([['network', 'Vodafone, UK = "best"']]);
    const down = new InfluxTelemetryStore({ url: 'http://127.0.0.1:9', database: 'x', retentionDays: 1, timeoutMs: 1_000 });
    await expect(down.write({ sessions: [session({})], ...empty })).rejects.toMatchObject({ name: 'InfluxError', permanent: false });
  });

  it('never answers a session without its bytes, or a location without its coordinates, while a write lands in a new shard (InfluxDB 1.x torn reads)', async () => {
    // A query overlapping the first write to a shard can count the point before its fields are summed:
    // 20–30 % of such overlaps here. Each round writes to a fresh database while usage is polled.
    const torn: unknown[] = [];
    for (let round = 0; round < 30; round++) {
      const fresh = await createInfluxDatabase();
      try {
        const store = new InfluxTelemetryStore({ url: fresh.url, database: fresh.database, retentionDays: 400 });
        const query = {
          accountId: 'acc_1',
          iccid: '8988303000000000017',
          from: new Date('2026-11-27T00:00:00Z'),
          to: new Date('2026-11-29T00:00:00Z'),
          interval: 'day' as const,
        };
        let written = false;
        const polling = (async () => {
          for (;;) {
            const [buckets, fixes] = await Promise.all([store.usage(query), store.locations({ ...query, limit: 10 })]);
            if (buckets.some((b) => b.sessions > 0 && b.bytesTotal !== 1650)) torn.push(buckets);
            if (fixes.some((f) => f.lat !== 48.85 || f.lon !== 2.35 || f.accuracyM !== 12 || f.source !== 'cell')) torn.push(fixes);
            if (written && buckets.length && fixes.length) return;
          }
        })();
        await new Promise((resolve) => setTimeout(resolve, round % 5));
        const fix = {
          accountId: 'acc_1',
          iccid: '8988303000000000017',
          at: new Date('2026-11-28T09:00:00Z'),
          lat: 48.85,
          lon: 2.35,
          accuracyM: 12,
          source: 'cell' as const,
        };
        await store.write({ sessions: [session({ bytesUp: 150, bytesDown: 1500 })], locations: [fix], statuses: [] });
        written = true;
        await polling;
      } finally {
        await fresh.drop();
      }
    }
    expect(torn).toEqual([]);
  }, 60_000);
});
