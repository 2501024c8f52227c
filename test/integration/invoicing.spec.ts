import { DomainError, FixedClock, type DataSession } from '@simfleet/domain';
import { medium } from './support/application.js';

// InvoicingService on an in-memory PGlite with the real repositories and the default plan (EUR,
// Europe/Paris periods): SIM fees from the lifecycle, data from the usage ledger, finalization and late usage.

const clock = new FixedClock(new Date('2026-12-05T12:00:00Z'));
const ACCOUNT = 'acc_invoiced';
const [A, B, C] = ['8988303000000000201', '8988303000000000202', '8988303000000000203'];
const MiB = 1_048_576;

const session = (iccid: string, sessionId: string, startedAt: string, bytes: number, mcc = '208', mnc = '01'): DataSession => ({
  accountId: ACCOUNT,
  iccid,
  sessionId,
  startedAt: new Date(startedAt),
  endedAt: null,
  bytesUp: 0,
  bytesDown: bytes,
  mcc,
  mnc,
  network: null,
  country: null,
  rat: 'LTE-M',
  cellId: null,
  imei: null,
  receivedAt: new Date(startedAt),
  rating: null,
});

const byDescription = (lines: Array<{ description: string; quantity: string; amount: string }>) =>
  Object.fromEntries(lines.map((l) => [l.description, [l.quantity, l.amount]]));

describe('InvoicingService (PGlite, real repositories)', () => {
  let app: Awaited<ReturnType<typeof medium>>;
  beforeAll(async () => {
    app = await medium(clock);
    await app.account(ACCOUNT, [A, B], new Date('2026-11-10T09:00:00Z'));
    await app.account(ACCOUNT, [C], new Date('2026-10-15T09:00:00Z'));
    await app.ledger.save(
      app.db,
      [
        session(A, 'fr', '2026-11-20T08:00:00Z', MiB),
        session(B, 'us', '2026-11-21T08:00:00Z', 2 * MiB, '310', '260'),
        // 23:30 UTC on 31 October is already November in Paris; 23:30 UTC on 30 November is December.
        session(C, 'edge-in', '2026-10-31T23:30:00Z', MiB),
        session(C, 'edge-out', '2026-11-30T23:30:00Z', 5 * MiB),
      ],
      clock.now(),
    );
  });
  afterAll(() => app?.close());

  it('drafts a month from the lifecycle and the ledger, in the plan’s time zone, the same way twice', async () => {
    const invoice = await app.invoicing.draft(ACCOUNT, '2026-11');
    expect(invoice).toMatchObject({ status: 'draft', planId: 'default-eur', currency: 'EUR', period: { id: '2026-11', timeZone: 'Europe/Paris' } });
    expect(byDescription(invoice.lines)).toEqual({
      'SIM activation fee (one-time, at first activation)': ['2', '4.00'],
      'SIM monthly subscription (active at any time in the month)': ['3', '4.50'],
      'Data traffic, zone zone-1': ['2', '0.02'],
      'Data traffic, zone zone-2': ['2', '0.10'],
    });
    expect(invoice.total).toBe('8.62');
    const again = await app.invoicing.draft(ACCOUNT, '2026-11');
    expect(again.id).toBe(invoice.id);
    expect(JSON.stringify(again.lines)).toBe(JSON.stringify(invoice.lines));
    const usage = await app.invoicing.lineUsage(
      invoice.id,
      invoice.lines.findIndex((l) => l.description === 'Data traffic, zone zone-1'),
      ACCOUNT,
      0,
      10,
    );
    expect(usage.data.map((u) => u.sessionId).sort()).toEqual(['edge-in', 'fr']);
    await expect(app.invoicing.get(invoice.id, 'acc_someone_else')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('finalizes for good, and bills usage that arrives later on the next invoice as an adjustment', async () => {
    const [draft] = await app.invoicing.list({ accountId: ACCOUNT, period: '2026-11', limit: 10 });
    const finalized = await app.invoicing.finalize(draft.id);
    expect(finalized).toMatchObject({ status: 'finalized', total: '8.62', finalizedAt: clock.now() });
    await expect(app.invoicing.draft(ACCOUNT, '2026-11')).rejects.toThrow(DomainError);
    await expect(app.invoicing.finalize(draft.id)).rejects.toMatchObject({ code: 'conflict' });

    // A November session reaches the ledger a day after the finalization.
    clock.advance(86_400_000);
    await app.ledger.save(app.db, [session(B, 'late', '2026-11-25T08:00:00Z', 3 * MiB)], clock.now());
    const december = await app.invoicing.draft(ACCOUNT, '2026-12');
    expect(december.adjusts).toEqual(['2026-11']);
    expect(december.lines.filter((l) => l.adjusts)).toEqual([
      expect.objectContaining({
        description: 'Adjustment for 2026-11: Data traffic, zone zone-1',
        quantity: '3',
        amount: '0.03',
        adjusts: '2026-11',
      }),
    ]);
    // C's 5 MiB of 1 December (Paris) is December's own usage.
    expect(byDescription(december.lines.filter((l) => !l.adjusts))).toEqual({
      'SIM monthly subscription (active at any time in the month)': ['3', '4.50'],
      'Data traffic, zone zone-1': ['5', '0.05'],
    });
    expect((await app.invoicing.get(draft.id)).lines).toEqual(finalized.lines);
    const announced = await app.events.list({ accountId: ACCOUNT, type: 'invoice.*', limit: 10 });
    expect(announced.map((e) => e.type).sort()).toEqual(['invoice.drafted', 'invoice.drafted', 'invoice.drafted', 'invoice.finalized']);
  });
});
