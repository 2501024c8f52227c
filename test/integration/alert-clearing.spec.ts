import type { CustomTransportStrategy, Server } from '@nestjs/microservices';
import {
  AlertEvaluator,
  AlertRuleCache,
  AlertScanner,
  type AlertEffects,
  AlertWriter,
  SimBlocksService,
  DEVICE_CONTROL,
  InProcessControlPlane,
  RoutedDeviceControl,
  type DisconnectOrder,
} from '@simfleet/application';
import { parseRuleDraft, FixedClock, DomainError, mergeDataSession, sessionKey, type DataSession } from '@simfleet/domain';
import {
  migrate,
  PgliteDatabase,
  AlertEvaluationRepository,
  AlertRuleRepository,
  AlertRepository,
  EventRepository,
  SimBlocksRepository,
  SimConnectionRepository,
  SimRepository,
  UsageLedgerRepository,
} from '@simfleet/persistence';

// What the e2e suite cannot wait for: a data-limit block lifted at the period rollover, with the clock
// moved to the next month. Also SimBlocksService's own block/unblock. Real PGlite, real repositories.

describe('alert clearing in time and SIM blocks', () => {
  let db: PgliteDatabase;
  const clock = new FixedClock(new Date('2026-11-28T10:00:00Z'));
  // The real in-process control plane, with a broker end that records the disconnect orders it receives.
  const transport = new InProcessControlPlane();
  const broker = transport.server('broker-1') as Server & CustomTransportStrategy;
  let devices: RoutedDeviceControl;
  const kicked: string[] = [];
  let blocks: SimBlocksService;
  let evaluator: AlertEvaluator;
  let scanner: AlertScanner;
  let alerts: AlertRepository;
  let rules: AlertRuleRepository;
  let events: EventRepository;
  const ledger = () => new UsageLedgerRepository(db);

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    await migrate(db);
    await db.query("insert into accounts (id, name) values ('acc_a', 'A'), ('acc_b', 'B')");
    await db.query(
      "insert into sims (iccid, imsi, account_id, status) values ('8988303000000000001', '901280000000001', 'acc_a', 'active'), ('8988303000000000002', '901280000000002', 'acc_a', 'active')",
    );
    broker.addHandler(DEVICE_CONTROL.disconnect, async (order: DisconnectOrder) => void kicked.push(...order.iccids), true);
    broker.listen(() => undefined);
    devices = new RoutedDeviceControl(transport, new SimConnectionRepository(db));
    const sims = new SimRepository(db);
    events = new EventRepository(db);
    alerts = new AlertRepository(db);
    rules = new AlertRuleRepository(db);
    const state = new AlertEvaluationRepository(db);
    blocks = new SimBlocksService(db, new SimBlocksRepository(db), sims, events, devices, clock);
    const writer = new AlertWriter(alerts, events, blocks);
    evaluator = new AlertEvaluator(new AlertRuleCache(rules), state, alerts, writer, blocks, clock);
    scanner = new AlertScanner(db, rules, alerts, state, evaluator, writer, clock);
  });
  afterAll(async () => {
    await devices?.beforeApplicationShutdown();
    broker.close();
    await db?.close();
  });

  /** Stores a session record and evaluates it in one transaction, as the ingestion worker does. */
  async function ingest(entry: DataSession): Promise<void> {
    const effects: AlertEffects = await db.transaction(async (tx) => {
      const before = (await ledger().lockSessions(tx, [entry])).get(sessionKey(entry)) ?? null;
      const after = before ? mergeDataSession(before, entry) : entry;
      await ledger().save(tx, [after], clock.now());
      return evaluator.evaluate(tx, { sessions: [{ before, after }], locations: [], statuses: [] });
    });
    await evaluator.afterCommit(effects);
  }

  const entry = (iccid: string, sessionId: string, bytes: number, startedAt: Date): DataSession => ({
    iccid,
    sessionId,
    accountId: 'acc_a',
    startedAt,
    endedAt: null,
    bytesUp: bytes,
    bytesDown: 0,
    mcc: '208',
    mnc: '01',
    country: 'FR',
    network: 'Orange',
    rat: 'LTE-M',
    cellId: null,
    imei: null,
    receivedAt: clock.now(),
    rating: null,
  });

  it('a monthly data-limit block is lifted at the rollover, by the scheduled scan', async () => {
    const iccid = '8988303000000000001';
    const draft = parseRuleDraft({
      type: 'data_usage_limit',
      action: 'block',
      severity: 'critical',
      scope: { iccid },
      params: { limitBytes: 1_000, period: 'month' },
    });
    if (!draft.ok) throw new Error('invalid draft');
    await rules.insert(db, 'rule_month', 'acc_a', draft.draft, clock.now());

    await ingest(entry(iccid, 's-nov', 5_000, new Date('2026-11-28T09:00:00Z')));
    const [open] = await alerts.list({ accountId: 'acc_a', iccid, limit: 10 });
    expect(open).toMatchObject({ status: 'active', level: 2, block: 'data_limit_exceeded', details: { periodStart: '2026-11-01T00:00:00.000Z' } });
    expect((await new SimRepository(db).findByRef('acc_a', iccid))?.blocks).toEqual(['data_limit_exceeded']);
    expect(kicked).toEqual([iccid]);

    // Still November: the scan keeps the block (and does not count a new trigger).
    expect(await scanner.scan()).toEqual({ raised: 0, resolved: 0 });
    expect((await alerts.get('acc_a', open.id))?.count).toBe(1);

    clock.advance(3 * 86_400_000); // 1 December, 10:00
    expect(await scanner.scan()).toEqual({ raised: 0, resolved: 1 });
    expect(await alerts.get('acc_a', open.id)).toMatchObject({ status: 'resolved', resolution: 'period_rollover', resolvedBy: 'system' });
    expect((await new SimRepository(db).findByRef('acc_a', iccid))?.blocks).toEqual([]);
    const unblocked = await events.list({ accountId: 'acc_a', type: 'sim.unblocked', subject: iccid, limit: 10 });
    expect(unblocked.map((e) => e.data)).toEqual([
      expect.objectContaining({ block: 'data_limit_exceeded', blocks: [], actor: 'system', alertId: open.id }),
    ]);

    // November's session no longer counts in December; a December session over the limit blocks again.
    await ingest(entry(iccid, 's-nov', 6_000, new Date('2026-11-28T09:00:00Z')));
    expect(await alerts.list({ accountId: 'acc_a', iccid, status: ['active'], limit: 10 })).toEqual([]);
    await ingest(entry(iccid, 's-dec', 1_500, new Date('2026-12-01T09:30:00Z')));
    const [december] = await alerts.list({ accountId: 'acc_a', iccid, status: ['active'], limit: 10 });
    expect(december).toMatchObject({ level: 2, details: { usageBytes: 1_500, periodStart: '2026-12-01T00:00:00.000Z' } });
    expect(december.id).not.toBe(open.id);
  });

  it('SimBlocksService: block and unblock leave the status alone, record history and events, and cut the device off', async () => {
    const iccid = '8988303000000000002';
    kicked.length = 0;
    expect(await blocks.block('acc_a', iccid, 'unauthorized_imei', 'stolen')).toBe(true);
    expect(await blocks.block('acc_a', iccid, 'unauthorized_imei', 'stolen')).toBe(false); // already there
    expect(await blocks.block('acc_a', iccid, 'data_limit_exceeded', 'over')).toBe(true);
    expect(kicked).toEqual([iccid, iccid]);
    expect(await new SimRepository(db).findByRef('acc_a', iccid)).toMatchObject({
      status: 'active',
      blocks: ['unauthorized_imei', 'data_limit_exceeded'],
    });

    expect(await blocks.unblock('acc_a', iccid, 'unauthorized_imei', 'found')).toBe(true);
    expect(await blocks.unblock('acc_a', iccid, 'unauthorized_imei', 'found')).toBe(false);
    expect(await new SimRepository(db).findByRef('acc_a', iccid)).toMatchObject({ status: 'active', blocks: ['data_limit_exceeded'] });

    const history = await new SimRepository(db).history(iccid, 10);
    expect(history.map((h) => [h.action, h.actor, h.from, h.to, h.reason, h.blocks])).toEqual([
      ['block', 'system', 'active', 'active', 'stolen', ['unauthorized_imei']],
      ['block', 'system', 'active', 'active', 'over', ['unauthorized_imei', 'data_limit_exceeded']],
      ['unblock', 'system', 'active', 'active', 'found', ['data_limit_exceeded']],
    ]);
    const emitted = await events.list({ accountId: 'acc_a', subject: iccid, limit: 10 });
    // (The fixed clock gives the three events one instant, so their ids do not order them.)
    expect(emitted.map((e) => `${e.type} ${String(e.data.block)}`).sort()).toEqual([
      'sim.blocked data_limit_exceeded',
      'sim.blocked unauthorized_imei',
      'sim.unblocked unauthorized_imei',
    ]);

    // Another tenant's SIM is not found (nothing changes).
    await expect(blocks.block('acc_b', iccid, 'unauthorized_imei', 'x')).rejects.toThrow(DomainError);
    await expect(blocks.block('acc_b', iccid, 'unauthorized_imei', 'x')).rejects.toMatchObject({ code: 'not-found' });
  });
});
