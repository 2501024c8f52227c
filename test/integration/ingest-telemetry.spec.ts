import { BillingSessionRater, type RatedFacts } from '@simfleet/application';
import { D } from '@simfleet/billing';
import { FixedClock, type IngestBatch, type SessionRecord, type TelemetryEnvelope } from '@simfleet/domain';
import { InfluxTelemetryStore } from '@simfleet/telemetry';
import { medium } from './support/application.js';

// IngestTelemetry on an in-memory PGlite with the real repositories and the SQL telemetry store: what the
// e2e suites cover through MQTT, here with the batch in hand (redeliveries, rating, a store that fails).

const clock = new FixedClock(new Date('2026-11-28T12:00:00Z'));
const ACCOUNT = 'acc_ingest';
const [SIM, TWIN_SIM, ROLLBACK_SIM] = ['8988303000000000101', '8988303000000000102', '8988303000000000103'];

const sessionRecord = (overrides: Partial<SessionRecord> = {}): SessionRecord => ({
  sessionId: 's1',
  startedAt: '2026-11-28T10:00:00.000Z',
  endedAt: null,
  bytesUp: 100_000,
  bytesDown: 1_000_000,
  mcc: '208',
  mnc: '01',
  rat: 'LTE-M',
  ...overrides,
});
const sent = (iccid: string, record: SessionRecord, receivedAt = '2026-11-28T11:00:00.000Z'): TelemetryEnvelope => ({
  kind: 'session',
  accountId: ACCOUNT,
  iccid,
  receivedAt,
  record,
});

/** The real rater, counting what it is asked to rate. */
class CountingRater extends BillingSessionRater {
  calls = 0;
  override rate(session: RatedFacts) {
    this.calls += 1;
    return super.rate(session);
  }
}

describe('IngestTelemetry (PGlite, real repositories)', () => {
  let app: Awaited<ReturnType<typeof medium>>;
  let rater: CountingRater;
  beforeAll(async () => {
    app = await medium(clock);
    await app.account(ACCOUNT, [SIM, TWIN_SIM, ROLLBACK_SIM]);
    rater = new CountingRater(app.plans);
  });
  afterAll(() => app?.close());

  const ledgerRows = (iccid: string) =>
    app.db.query<{
      session_id: string;
      bytes_up: number;
      bytes_down: number;
      mnc: string;
      network: string;
      ended_at: Date | null;
      zone: string;
      amount: string;
      updated_at: Date;
    }>('select * from usage_ledger where iccid = $1 order by session_id', [iccid]);
  /** The price of s1 (started 10:00, Orange) with these counters, as the ledger's numeric(20, 10) keeps it. */
  const ledgerAmount = (bytesUp: number, bytesDown: number) =>
    new D(
      app.rater.rate({ accountId: ACCOUNT, startedAt: new Date('2026-11-28T10:00:00Z'), bytesUp, bytesDown, mcc: '208', mnc: '01' })!.amount,
    ).toFixed(10);
  const eventTypes = async (iccid: string) =>
    (await app.events.list({ accountId: ACCOUNT, subject: iccid, limit: 100 }))
      .map((e) => `${e.type}${'sessionId' in e.data ? ` ${String(e.data.sessionId)}` : ''}`)
      .sort();

  const batch: IngestBatch = {
    records: [
      sent(SIM, sessionRecord(), '2026-11-28T10:30:00.000Z'),
      sent(SIM, sessionRecord({ bytesUp: 200_000, bytesDown: 2_000_000, cellId: 4711, imei: '490154203237518' }), '2026-11-28T10:40:00.000Z'),
      sent(
        SIM,
        sessionRecord({ sessionId: 's2', startedAt: '2026-11-28T10:50:00.000Z', endedAt: '2026-11-28T10:55:00.000Z', bytesUp: 1, bytesDown: 2 }),
      ),
      {
        kind: 'location',
        accountId: ACCOUNT,
        iccid: SIM,
        receivedAt: '2026-11-28T11:00:00.000Z',
        record: { lat: 48.85, lon: 2.35, accuracyM: 12, source: 'gps', at: '2026-11-28T10:59:00Z' },
      },
      {
        kind: 'status',
        accountId: ACCOUNT,
        iccid: SIM,
        receivedAt: '2026-11-28T11:00:01.000Z',
        record: { imei: '490154203237518', signalDbm: -71, firmware: 'fw 1.2', at: '2026-11-28T11:00:00Z' },
      },
    ],
  };

  it('writes a batch to the ledger, the store, the SIM and the outbox, each session once and rated as stored', async () => {
    expect(await app.ingest(app.store, rater).execute(batch)).toEqual({ sessions: 2, locations: 1, statuses: 1 });
    expect(rater.calls).toBe(2);
    const rows = await ledgerRows(SIM);
    expect(rows.map((r) => [r.session_id, r.bytes_up, r.bytes_down, r.network, r.zone, r.ended_at?.toISOString() ?? null])).toEqual([
      ['s1', 200_000, 2_000_000, 'Orange', 'zone-1', null],
      ['s2', 1, 2, 'Orange', 'zone-1', '2026-11-28T10:55:00.000Z'],
    ]);
    // 2,200,000 B rounded up to the KiB = 2.0981… MB × 0.010 (default plan, zone-1), kept to 10 decimals.
    expect(rows[0].amount).toBe(ledgerAmount(200_000, 2_000_000));
    const totals = await app.store.sessionTotals({
      accountId: ACCOUNT,
      iccid: SIM,
      from: new Date('2026-11-28T00:00:00Z'),
      to: new Date('2026-11-29T00:00:00Z'),
    });
    expect(totals).toEqual([expect.objectContaining({ network: 'Orange', bytesUp: 200_001, bytesDown: 2_000_002, sessions: 2 })]);
    expect(await eventTypes(SIM)).toEqual(['session.ended s2', 'session.started s1', 'session.started s2', 'sim.location.updated']);
    const sim = await app.sims.findByRef(ACCOUNT, SIM);
    expect(sim).toMatchObject({
      lastSeenAt: new Date('2026-11-28T11:00:01.000Z'),
      network: 'Orange',
      imei: '490154203237518',
      signalDbm: -71,
      lastLocation: expect.objectContaining({ lat: 48.85, lon: 2.35 }),
    });
  });

  it('runs the same batch again without counting, rating or announcing anything twice', async () => {
    const before = await ledgerRows(SIM);
    rater.calls = 0;
    clock.advance(60_000);
    await app.ingest(app.store, rater).execute(batch, { redelivery: true });
    expect(rater.calls).toBe(0);
    expect(await ledgerRows(SIM)).toEqual(before);
    expect(await eventTypes(SIM)).toEqual(['session.ended s2', 'session.started s1', 'session.started s2', 'sim.location.updated']);
    const usage = await app.store.usage({
      accountId: ACCOUNT,
      iccid: SIM,
      from: new Date('2026-11-28T00:00:00Z'),
      to: new Date('2026-11-29T00:00:00Z'),
      interval: 'day',
    });
    expect(usage).toEqual([expect.objectContaining({ sessions: 2, bytesTotal: 2_200_003 })]);
  });

  it('keeps the network a session was first seen on, grows its counters and rates the result once', async () => {
    rater.calls = 0;
    // A later record of s1 roams to another network (SFR, 208-10), with higher counters.
    await app.ingest(app.store, rater).execute({ records: [sent(SIM, sessionRecord({ mnc: '10', bytesUp: 300_000, bytesDown: 3_000_000 }))] });
    expect(rater.calls).toBe(1);
    const [s1] = await ledgerRows(SIM);
    expect([s1.mnc, s1.network, s1.bytes_up, s1.bytes_down]).toEqual(['01', 'Orange', 300_000, 3_000_000]);
    expect(s1.amount).toBe(ledgerAmount(300_000, 3_000_000));
    // A record with lower counters (reordered) changes nothing and rates nothing.
    rater.calls = 0;
    await app.ingest(app.store, rater).execute({ records: [sent(SIM, sessionRecord({ bytesUp: 5, bytesDown: 5 }))] });
    expect(rater.calls).toBe(0);
    expect((await ledgerRows(SIM))[0]).toEqual(s1);
    const updated = await app.events.list({ accountId: ACCOUNT, subject: SIM, type: 'session.updated', limit: 10 });
    expect(updated.map((e) => [e.data.bytesUp, e.data.bytesDown, e.data.network])).toEqual([[300_000, 3_000_000, 'Orange']]);
  });

  it('keeps two sessions of a SIM that start in the same millisecond apart', async () => {
    const at = '2026-11-28T09:00:00.123Z';
    await app.ingest().execute({
      records: [
        sent(TWIN_SIM, sessionRecord({ sessionId: 'twin-a', startedAt: at, bytesUp: 1_000, bytesDown: 5_000 })),
        sent(TWIN_SIM, sessionRecord({ sessionId: 'twin-b', startedAt: at, bytesUp: 2_000, bytesDown: 7_000 })),
      ],
    });
    expect((await ledgerRows(TWIN_SIM)).map((r) => r.session_id)).toEqual(['twin-a', 'twin-b']);
    const usage = await app.store.usage({
      accountId: ACCOUNT,
      iccid: TWIN_SIM,
      from: new Date('2026-11-28T00:00:00Z'),
      to: new Date('2026-11-29T00:00:00Z'),
      interval: 'hour',
    });
    expect(usage).toEqual([{ start: new Date('2026-11-28T09:00:00Z'), bytesUp: 3_000, bytesDown: 12_000, bytesTotal: 15_000, sessions: 2 }]);
  });

  it('rolls the whole batch back when the telemetry store fails, and its retry writes it all', async () => {
    const records = {
      records: [
        sent(ROLLBACK_SIM, sessionRecord({ sessionId: 'r1' })),
        sent(ROLLBACK_SIM, sessionRecord({ sessionId: 'r2', startedAt: '2026-11-28T10:01:00Z' })),
      ],
    };
    // An InfluxDB nobody answers for (nothing listens on the discard port).
    const unreachable = new InfluxTelemetryStore({ url: 'http://127.0.0.1:9', database: 'none', retentionDays: 1, timeoutMs: 1_000 });
    await expect(app.ingest(unreachable).execute(records)).rejects.toMatchObject({ name: 'InfluxError', permanent: false });
    expect(await ledgerRows(ROLLBACK_SIM)).toEqual([]);
    expect(await eventTypes(ROLLBACK_SIM)).toEqual([]);
    expect((await app.sims.findByRef(ACCOUNT, ROLLBACK_SIM))?.lastSeenAt).toBeNull();

    await app.ingest().execute(records, { redelivery: true });
    expect((await ledgerRows(ROLLBACK_SIM)).map((r) => r.session_id)).toEqual(['r1', 'r2']);
    expect(await eventTypes(ROLLBACK_SIM)).toEqual(['session.started r1', 'session.started r2']);
  });
});
