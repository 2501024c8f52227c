import { FixedClock, parseRuleDraft, type DataSession, type SessionChange } from '@simfleet/domain';
import type { SqlExecutor } from '@simfleet/persistence';
import type { LocationPoint, StatusPoint } from '@simfleet/telemetry';
import { medium } from './support/application.js';

// AlertEvaluator on an in-memory PGlite with the real repositories: the record-driven rules on whole
// batches, as ingestion calls them inside its transaction.

const clock = new FixedClock(new Date('2026-11-28T12:00:00Z'));
const iccidOf = (account: number, n: number) => `89883030${String(account).padStart(2, '0')}${String(n).padStart(9, '0')}`;

const session = (accountId: string, iccid: string, sessionId: string, bytes: number, overrides: Partial<DataSession> = {}): DataSession => ({
  accountId,
  iccid,
  sessionId,
  startedAt: new Date('2026-11-28T10:00:00Z'),
  endedAt: null,
  bytesUp: 0,
  bytesDown: bytes,
  mcc: '208',
  mnc: '01',
  network: 'Orange',
  country: 'FR',
  rat: 'LTE-M',
  cellId: null,
  imei: null,
  receivedAt: clock.now(),
  rating: null,
  ...overrides,
});

describe('AlertEvaluator (PGlite, real repositories)', () => {
  let app: Awaited<ReturnType<typeof medium>>;
  beforeAll(async () => {
    app = await medium(clock);
  });
  afterAll(() => app?.close());

  const rule = async (accountId: string, id: string, draft: Record<string, unknown>) => {
    const parsed = parseRuleDraft({ severity: 'warning', action: 'notify', scope: {}, ...draft });
    if (!parsed.ok) throw new Error(`invalid rule ${JSON.stringify(parsed.errors)}`);
    await app.rules.insert(app.db, id, accountId, parsed.draft, clock.now());
  };

  /** Stores the batch's sessions in the ledger and evaluates it in one transaction, as ingestion does; counts the evaluator's statements. */
  async function ingest(batch: { sessions?: DataSession[]; locations?: LocationPoint[]; statuses?: StatusPoint[] }): Promise<number> {
    let statements = 0;
    const effects = await app.db.transaction(async (tx) => {
      const stored = await app.ledger.lockSessions(tx, batch.sessions ?? []);
      const changes: SessionChange[] = (batch.sessions ?? []).map((after) => ({
        before: stored.get(`${after.iccid}\u0000${after.sessionId}`) ?? null,
        after,
      }));
      await app.ledger.save(tx, batch.sessions ?? [], clock.now());
      const counting: SqlExecutor = { query: (sql, params) => (statements++, tx.query(sql, params)) };
      return app.evaluator.evaluate(counting, { sessions: changes, locations: batch.locations ?? [], statuses: batch.statuses ?? [] });
    });
    await app.evaluator.afterCommit(effects);
    return statements;
  }

  const openAlerts = (accountId: string, iccid: string) => app.alerts.list({ accountId, iccid, status: ['active'], limit: 10 });

  it('reads what the rules need once per batch: as many statements for 20 SIMs as for one', async () => {
    const accountId = 'acc_many';
    const iccids = Array.from({ length: 22 }, (_, i) => iccidOf(1, i));
    await app.account(accountId, iccids);
    await rule(accountId, 'r_many_limit', { type: 'data_usage_limit', params: { limitBytes: 1_000_000_000 } });
    await rule(accountId, 'r_many_spike', { type: 'usage_spike', params: { factor: 10, minHistory: 3 } });
    await rule(accountId, 'r_many_country', { type: 'new_country', params: {} });
    await rule(accountId, 'r_many_imei', { type: 'imei_change', params: {} });
    await rule(accountId, 'r_many_fence', { type: 'geofence', params: { circle: { lat: 48.85, lon: 2.35, radiusM: 50_000 }, on: 'exit' } });
    await rule(accountId, 'r_many_silent', { type: 'silent', params: { hours: 24 } });
    const batchOf = (sims: string[]) => ({
      sessions: sims.map((iccid) => session(accountId, iccid, `s-${iccid}`, 1_000)),
      locations: sims.map((iccid) => ({ accountId, iccid, at: clock.now(), lat: 48.86, lon: 2.34, accuracyM: 10, source: 'gps' as const })),
      statuses: sims.map((iccid) => ({ accountId, iccid, at: clock.now(), imei: '490154203237518', signalDbm: null, firmware: null })),
    });
    await ingest(batchOf(iccids.slice(0, 1))); // reads the account's rules into their cache
    const one = await ingest(batchOf(iccids.slice(1, 2)));
    const twenty = await ingest(batchOf(iccids.slice(2, 22)));
    expect(twenty).toBe(one);
    expect(await app.alerts.list({ accountId, limit: 10 })).toEqual([]);
  });

  it('raises the data-limit stage each SIM of a batch reached, blocks the one over its limit and cuts it off after the commit', async () => {
    const accountId = 'acc_limits';
    const [warned, blocked, fine] = [iccidOf(2, 1), iccidOf(2, 2), iccidOf(2, 3)];
    await app.account(accountId, [warned, blocked, fine]);
    await rule(accountId, 'r_limit', {
      type: 'data_usage_limit',
      action: 'block',
      params: { limitBytes: 10_000, warnAtPercent: 80, period: 'month' },
    });
    await ingest({
      sessions: [
        session(accountId, warned, 'a', 9_000),
        session(accountId, blocked, 'b', 6_000),
        session(accountId, blocked, 'c', 6_000),
        session(accountId, fine, 'd', 100),
      ],
    });
    expect((await openAlerts(accountId, warned)).map((a) => [a.level, a.block])).toEqual([[1, null]]);
    expect((await openAlerts(accountId, blocked)).map((a) => [a.level, a.block, a.details.usageBytes])).toEqual([[2, 'data_limit_exceeded', 12_000]]);
    expect(await openAlerts(accountId, fine)).toEqual([]);
    expect((await app.sims.findByRef(accountId, blocked))?.blocks).toEqual(['data_limit_exceeded']);
    expect(app.kicked).toEqual([blocked]);
    // The warned SIM goes over in its next batch: the same alert escalates.
    const [before] = await openAlerts(accountId, warned);
    await ingest({ sessions: [session(accountId, warned, 'a', 11_000)] });
    expect((await openAlerts(accountId, warned)).map((a) => [a.id, a.level])).toEqual([[before.id, 2]]);
  });

  it('raises and resolves a geofence alert within one batch, fix after fix', async () => {
    const accountId = 'acc_fence';
    const iccid = iccidOf(3, 1);
    await app.account(accountId, [iccid]);
    await rule(accountId, 'r_fence', { type: 'geofence', params: { circle: { lat: 48.85, lon: 2.35, radiusM: 1_000 }, on: 'exit' } });
    const fix = (minute: number, lat: number) => ({
      accountId,
      iccid,
      at: new Date(`2026-11-28T11:${String(minute).padStart(2, '0')}:00Z`),
      lat,
      lon: 2.35,
      accuracyM: 5,
      source: 'gps' as const,
    });
    await ingest({ locations: [fix(2, 48.851), fix(1, 49.5)] });
    const [alert] = await app.alerts.list({ accountId, iccid, limit: 10 });
    expect(alert).toMatchObject({ type: 'geofence', status: 'resolved', resolution: 'back_inside', details: { lat: 49.5, inside: false } });
    await ingest({ locations: [fix(3, 49.5)] });
    expect((await openAlerts(accountId, iccid)).map((a) => a.details.at)).toEqual(['2026-11-28T11:03:00.000Z']);
  });

  it('flags a session in a country the SIM never had a session in, after its first', async () => {
    const accountId = 'acc_country';
    const iccid = iccidOf(4, 1);
    await app.account(accountId, [iccid]);
    await rule(accountId, 'r_country', { type: 'new_country', params: {} });
    await ingest({ sessions: [session(accountId, iccid, 'fr-1', 10)] });
    expect(await openAlerts(accountId, iccid)).toEqual([]);
    await ingest({ sessions: [session(accountId, iccid, 'de-1', 10, { mcc: '262', country: 'DE' }), session(accountId, iccid, 'fr-2', 10)] });
    expect((await openAlerts(accountId, iccid)).map((a) => [a.details.country, a.details.sessionId])).toEqual([['DE', 'de-1']]);
    // A later record of the German session is not a new session: the alert is not repeated.
    await ingest({ sessions: [session(accountId, iccid, 'de-1', 20, { mcc: '262', country: 'DE' })] });
    expect((await openAlerts(accountId, iccid)).map((a) => a.count)).toEqual([1]);
  });

  it('learns a SIM’s session sizes from ended sessions and flags a spike', async () => {
    const accountId = 'acc_spike';
    const iccid = iccidOf(5, 1);
    await app.account(accountId, [iccid]);
    await rule(accountId, 'r_spike', { type: 'usage_spike', params: { factor: 3, minHistory: 2, per: 'session' } });
    const ended = { endedAt: new Date('2026-11-28T10:30:00Z') };
    await ingest({ sessions: [session(accountId, iccid, 'h1', 1_000, ended), session(accountId, iccid, 'h2', 1_200, ended)] });
    expect(await openAlerts(accountId, iccid)).toEqual([]);
    await ingest({ sessions: [session(accountId, iccid, 'big', 50_000)] });
    expect((await openAlerts(accountId, iccid)).map((a) => [a.details.sessionId, a.details.bytes, a.details.baselineSamples])).toEqual([
      ['big', 50_000, 2],
    ]);
  });

  it('flags an IMEI other than the last seen, and clears it when the IMEI is authorized', async () => {
    const accountId = 'acc_imei';
    const iccid = iccidOf(6, 1);
    await app.account(accountId, [iccid]);
    await rule(accountId, 'r_imei', { type: 'imei_change', params: {} });
    const status = (minute: number, imei: string) => ({
      accountId,
      iccid,
      at: new Date(`2026-11-28T11:0${minute}:00Z`),
      imei,
      signalDbm: null,
      firmware: null,
    });
    await ingest({ statuses: [status(1, '490154203237518')] });
    // applyTelemetry is ingestion's, not the evaluator's: the SIM's IMEI is what the rule compares with.
    await app.db.query('update sims set imei = $2 where iccid = $1', [iccid, '490154203237518']);
    await ingest({ statuses: [status(2, '356938035643809')] });
    expect((await openAlerts(accountId, iccid)).map((a) => [a.details.imei, a.details.previousImei])).toEqual([
      ['356938035643809', '490154203237518'],
    ]);
    await app.db.query(`update sims set authorized_imeis = '{356938035643809}' where iccid = $1`, [iccid]);
    await ingest({ statuses: [status(3, '356938035643809')] });
    expect(await openAlerts(accountId, iccid)).toEqual([]);
    expect((await app.alerts.list({ accountId, iccid, limit: 10 }))[0]).toMatchObject({ status: 'resolved', resolution: 'authorized_imei' });
  });
});
