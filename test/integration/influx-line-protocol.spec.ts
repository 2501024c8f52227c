import fc from 'fast-check';
import { dataSessionOf, networkName } from '@simfleet/domain';
import { migrate, PgliteDatabase, UnitOfWork } from '@simfleet/persistence';
import { InfluxTelemetryStore, influxString, nanoseconds, SqlTelemetryStore, toLine, type TelemetryStore } from '@simfleet/telemetry';
import { createInfluxDatabase, influxQuery, requireServers, type InfluxDatabase } from '../harness/isolation.js';

// The line protocol is ours (docs/decisions/0001-influxdb-client.md): whatever a device may put in a tag or a
// string field must come back from the real InfluxDB as it went in, through our escaping on the way in and our
// InfluxQL quoting on the way out.

/** Characters the protocols treat specially, mixed with ordinary and non-ASCII ones. */
const oddCharacter = fc.constantFrom(',', ' ', '=', '\\', '"', "'", '\n', '\r', '\t', '#', '/', '{', '}', 'a', 'Z', '0', 'é', 'ß', '中', '😀');
const oddText = fc.oneof(
  fc.string({ unit: oddCharacter, minLength: 1, maxLength: 24 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }),
);
/** Free text reaches a tag as a network name (`networkName`): what a device reports, made writable. */
const oddTag = oddText.map(networkName).filter((t): t is string => t !== null);

requireServers('influx')('InfluxDB line protocol against the real server', () => {
  let influx: InfluxDatabase;
  beforeAll(async () => {
    influx = await createInfluxDatabase();
  });
  afterAll(() => influx?.drop());

  const write = async (lines: string[]) => {
    const response = await fetch(`${influx.url}/write?db=${influx.database}&precision=ns`, { method: 'POST', body: lines.join('\n') });
    if (response.status !== 204) throw new Error(`InfluxDB refused ${JSON.stringify(lines)}: ${response.status} ${await response.text()}`);
  };

  it('writes odd tag and field values and reads them back unchanged', async () => {
    let time = Date.UTC(2026, 0, 1);
    await fc.assert(
      fc.asyncProperty(oddTag, oddText, fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), async (tag, text, n) => {
        const at = nanoseconds(++time, 123);
        await write([toLine('odd', { network: tag, iccid: 'x' }, { text: { str: text }, n: { int: n } }, at)]);
        const read = await influxQuery(
          influx.url,
          `SELECT "text", "n", "network" FROM "odd" WHERE "network" = ${influxString(tag)} AND "iccid" = 'x' AND time = ${at}`,
          influx.database,
        );
        const rows = read.results?.[0]?.series?.[0]?.values ?? [];
        expect(rows).toHaveLength(1);
        const [, readText, readN, readTag] = rows[0];
        expect({ tag: readTag, text: readText, n: readN }).toEqual({ tag, text, n });
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('keeps an odd network name a device reports the same in both stores', async () => {
    const db = await PgliteDatabase.open();
    await migrate(db);
    const stores: TelemetryStore[] = [
      new SqlTelemetryStore(new UnitOfWork(db)),
      new InfluxTelemetryStore({ url: influx.url, database: influx.database, retentionDays: 400 }),
    ];
    let sim = 0;
    try {
      await fc.assert(
        fc.asyncProperty(oddText, async (reported) => {
          const iccid = `89883030000${String(++sim).padStart(8, '0')}`;
          const record = { sessionId: 's', startedAt: '2026-01-02T03:04:05.678Z', endedAt: null, bytesUp: 1, bytesDown: 2, mcc: '208', mnc: '01' };
          const session = dataSessionOf(
            { accountId: 'acc_odd', iccid, receivedAt: '2026-01-02T03:05:00Z', record: { ...record, rat: '4G', network: reported } },
            { name: 'Orange', country: 'FR' },
          );
          const query = { accountId: 'acc_odd', iccid, from: new Date('2026-01-02T00:00:00Z'), to: new Date('2026-01-03T00:00:00Z') };
          const networks = [];
          for (const store of stores) {
            await store.write({ sessions: [session], locations: [], statuses: [] });
            networks.push((await store.sessionTotals(query)).map((row) => row.network));
          }
          expect(networks).toEqual([[networkName(reported) ?? 'Orange'], [networkName(reported) ?? 'Orange']]);
        }),
        { numRuns: 40 },
      );
    } finally {
      await db.close();
    }
  }, 120_000);
});
