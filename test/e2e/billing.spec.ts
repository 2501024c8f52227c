import mqtt from 'mqtt';
import { DEFAULT_PLAN } from '@simfleet/billing';
import { Database, UsageEventRepository } from '@simfleet/persistence';
import { JobQueue } from '@simfleet/queue';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { ShiftedClock } from '@simfleet/application';
import { LAST_MONTH, at, shiftPeriod } from '../support/test-time.js';

// The platform under test lives on the 28th of P at noon (UTC), on a clock that runs from there: P is the
// open period (its invoice is provisional), PREV ended long enough ago to be past the finalization grace,
// NEXT is still to come. P is last month on the machine's calendar, so every record is in the past and
// inside the telemetry retention whatever day the suite runs (issue #16).
const P = LAST_MONTH;
const [PREV2, PREV, NEXT] = [shiftPeriod(P, -2), shiftPeriod(P, -1), shiftPeriod(P, 1)];

interface Line {
  product: string;
  channel: string;
  description: string;
  quantity: string;
  unit: string;
  unitPrice: string;
  amount: string;
  adjusts?: string;
}

/** The same prices as the default plan, with other SIM fees so the plan in force is visible on the invoice. */
const customPlan = {
  ...DEFAULT_PLAN,
  id: 'iot-custom',
  name: 'IoT custom',
  things: { ...DEFAULT_PLAN.things!, activationFee: '3.00', monthlyFee: '2.00' },
};

const byDescription = (lines: Line[]) =>
  Object.fromEntries(lines.map((l) => [l.description, { quantity: l.quantity, unitPrice: l.unitPrice, amount: l.amount }]));

describe.each(SHAPES)('billing through the API (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let db: Database;
  let account: ProvisionedAccount;
  let sims: string[];
  let openInvoiceId: string;

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, {}, new ShiftedClock(new Date(at(P, 28, '12:00:00'))));
    admin = new ApiClient(platform.url, ADMIN_KEY);
    db = platform.platform.app.get(Database);
    account = await createAccount(admin, 'Billing Fleet');
    sims = await orderSims(admin, account, 4);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  it('ships the default plan, refuses a bad plan with every problem and its path, and stores a good one', async () => {
    const list = await admin.get('/v1/price-plans');
    expect(list.status).toBe(200);
    expect(list.body.data.map((p: { id: string }) => p.id)).toContain('default-eur');
    const openApi = await new ApiClient(platform.url).get('/openapi.json');
    expect(Object.keys(openApi.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/price-plans',
        '/v1/price-plans/{id}',
        '/v1/accounts/{id}/price-plan',
        '/v1/usage-events',
        '/v1/invoices',
        '/v1/invoices/{id}',
        '/v1/invoices/{id}/lines/{n}/usage',
        '/v1/invoices/{id}/finalize',
      ]),
    );
    expect((await admin.get('/v1/price-plans/default-eur')).body).toMatchObject({ id: 'default-eur', isDefault: true, plan: { currency: 'EUR' } });
    expect((await admin.get('/v1/price-plans/nope')).status).toBe(404);
    expect((await account.api.get('/v1/price-plans')).status).toBe(403);

    const bad = {
      ...customPlan,
      sms: {
        mt: {
          mode: 'graduated',
          tiers: [
            { from: '0', upTo: '100', unitPrice: '0.05' },
            { from: '50', upTo: null, unitPrice: '0.04' },
          ],
        },
        mo: '-0.005',
      },
      answers: { package: { fee: '100', included: 10, overage: '1' }, sessionTimeoutMinutes: 1500 },
      things: { ...customPlan.things, data: { ...customPlan.things.data, countryZones: { ...customPlan.things.data.countryZones, FR: 'europe' } } },
    };
    const refused = await admin.request('PUT', '/v1/price-plans/iot-custom', bad);
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const fields = refused.body.errors.map((e: { field: string }) => e.field);
    expect(fields.sort()).toEqual(['answers.sessionTimeoutMinutes', 'sms.mo', 'sms.mt.tiers.1.from', 'things.data.countryZones.FR']);
    expect(refused.body.errors.find((e: { field: string }) => e.field === 'sms.mt.tiers.1.from').message).toContain('overlapping tiers');
    expect(refused.body.errors.find((e: { field: string }) => e.field === 'things.data.countryZones.FR').message).toContain('unknown zone');
    expect((await admin.get('/v1/price-plans/iot-custom')).status).toBe(404);

    const mismatch = await admin.request('PUT', '/v1/price-plans/iot-custom', { ...customPlan, id: 'other' });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.errors).toEqual([{ field: 'id', message: expect.any(String) }]);

    const created = await admin.request('PUT', '/v1/price-plans/iot-custom', customPlan);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'iot-custom', isDefault: false, plan: { things: { activationFee: '3.00' } } });
    expect((await admin.request('PUT', '/v1/price-plans/iot-custom', customPlan)).status).toBe(200);
  });

  it('assigns plans to accounts with effective months', async () => {
    const assigned = await admin.post(`/v1/accounts/${account.accountId}/price-plan`, { planId: 'iot-custom', effectiveFrom: P });
    expect(assigned.status).toBe(201);
    expect(assigned.body).toMatchObject({ accountId: account.accountId, planId: 'iot-custom', effectiveFrom: P });
    const bad = await admin.post(`/v1/accounts/${account.accountId}/price-plan`, { planId: 'missing', effectiveFrom: '2026-13' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['effectiveFrom']);
    expect((await admin.post(`/v1/accounts/${account.accountId}/price-plan`, { planId: 'missing', effectiveFrom: NEXT })).body.errors).toEqual([
      { field: 'planId', message: 'unknown price plan missing' },
    ]);
    expect((await admin.post('/v1/accounts/acc_nope/price-plan', { planId: 'iot-custom', effectiveFrom: NEXT })).status).toBe(404);
    const history = await admin.get(`/v1/accounts/${account.accountId}/price-plan`);
    expect(history.body).toMatchObject({ defaultPlanId: 'default-eur', assignments: [{ planId: 'iot-custom', effectiveFrom: P }] });
  });

  it('takes usage events as JSON or NDJSON, reports each invalid one and counts duplicates once', async () => {
    const events = [
      { id: 'sms-1', channel: 'sms', type: 'mt', to: '+33612345678', at: `${P}-10T10:00:00+01:00` },
      { id: 'sms-bad', channel: 'sms', type: 'mt', to: '+33612345678', at: `${P}-10T10:00:00` },
      { id: 'mail-1', channel: 'email', type: 'submitted', to: 'a@example.com', at: `${P}-11T10:00:00Z` },
      { id: 'sms-1', channel: 'sms', type: 'mt', to: '+33612345678', at: `${P}-10T10:00:00+01:00` },
      { channel: 'fax' },
    ];
    const first = await account.api.post('/v1/usage-events', events);
    expect(first.status).toBe(200);
    expect(first.body.accepted).toBe(2);
    expect(first.body.duplicates).toBe(1);
    expect(first.body.rejected).toEqual([
      { index: 1, id: 'sms-bad', errors: [expect.objectContaining({ field: 'at' })] },
      { index: 4, errors: expect.any(Array) },
    ]);
    const again = await account.api.post('/v1/usage-events', [events[0]]);
    expect(again.body).toEqual({ accepted: 0, duplicates: 1, rejected: [] });

    const ndjson = `${JSON.stringify({ id: 'push-1', channel: 'push', type: 'notification', to: 'device-1', at: `${P}-12T10:00:00Z` })}\n{oops\n`;
    const nd = await account.api.post('/v1/usage-events', ndjson, { 'content-type': 'application/x-ndjson' });
    expect(nd.status).toBe(200);
    expect(nd.body).toMatchObject({
      accepted: 1,
      duplicates: 0,
      rejected: [{ index: 1, errors: [{ field: '(line)', message: expect.stringContaining('invalid JSON') }] }],
    });

    // A write that fails claims nothing: the id is taken in the statement that stores the event, so the
    // event is accepted when sent again.
    const older = { id: 'sms-retried', channel: 'sms', type: 'mt', to: '+33612345678', at: `${PREV2}-10T10:00:00Z` };
    const repository = platform.platform.app.get(UsageEventRepository);
    await expect(
      db.transaction(async (tx) => {
        await repository.insertNew(tx, account.accountId, [{ ...older, event: older }], new Date());
        throw new Error('connection lost before commit');
      }),
    ).rejects.toThrow('connection lost before commit');
    expect((await account.api.post('/v1/usage-events', [older])).body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect((await account.api.post('/v1/usage-events', [older])).body).toEqual({ accepted: 0, duplicates: 1, rejected: [] });

    const tooMany = Array.from({ length: 10_001 }, (_, i) => ({
      id: `p-${i}`,
      channel: 'push',
      type: 'notification',
      to: 'd',
      at: `${P}-12T10:00:00Z`,
    }));
    const refused = await account.api.post('/v1/usage-events', tooMany);
    expect(refused.status).toBe(413);
    expect((await account.api.post('/v1/usage-events', { id: 'x' })).status).toBe(422);
    expect((await new ApiClient(platform.url, account.readKey).post('/v1/usage-events', [])).status).toBe(403);

    const listed = await new ApiClient(platform.url, account.readKey).get('/v1/usage-events?channel=sms&limit=1');
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([expect.objectContaining({ id: 'sms-1', channel: 'sms', type: 'mt', at: `${P}-10T09:00:00.000Z` })]);
    const listed2 = await account.api.get(`/v1/usage-events?channel=sms&limit=1&cursor=${listed.body.nextCursor}`);
    expect(listed2.body.data.map((e: { id: string }) => e.id)).toEqual(['sms-retried']);
    expect(listed2.body.nextCursor).toBeNull();
    const page1 = await account.api.get('/v1/usage-events?limit=2');
    const page2 = await account.api.get(`/v1/usage-events?limit=2&cursor=${page1.body.nextCursor}`);
    expect([...page1.body.data, ...page2.body.data].map((e: { id: string }) => e.id)).toEqual(['sms-1', 'mail-1', 'push-1', 'sms-retried']);
    expect(
      (await account.api.get(`/v1/usage-events?from=${P}-11T00:00:00Z&to=${P}-12T00:00:00Z`)).body.data.map((e: { id: string }) => e.id),
    ).toEqual(['mail-1']);
  });

  it('turns a month of SIMs, MQTT data sessions and SMS into an invoice that matches the catalogue', async () => {
    const [a, b, c, d] = sims;
    const secretA = await activate(account, a);
    const secretB = await activate(account, b);
    await activate(account, c);
    expect((await account.api.post(`/v1/sims/${c}/suspend`)).status).toBe(200);
    // SIM d was activated in PREV: its history is written as it would have been then.
    await db.query(`update sims set status = 'active', first_activated_at = '${PREV}-15T10:00:00Z' where iccid = $1`, [d]);
    await db.query(`update sim_history set at = '${PREV}-01T10:00:00Z' where iccid = $1`, [d]);
    await db.query(
      `insert into sim_history (iccid, account_id, from_status, to_status, action, actor, at) values ($1, $2, 'inventory', 'active', 'activate', 'system', '${PREV}-15T10:00:00Z')`,
      [d, account.accountId],
    );

    // Data sessions over real MQTT: 1 MiB in France (zone-1), 2 MiB in the US (zone-2).
    for (const [iccid, secret, session] of [
      [
        a,
        secretA,
        {
          sessionId: 'a-1',
          startedAt: `${P}-28T08:00:00.000Z`,
          endedAt: `${P}-28T08:10:00.000Z`,
          bytesUp: 48_576,
          bytesDown: 1_000_000,
          mcc: '208',
          mnc: '01',
          rat: 'LTE-M',
        },
      ],
      [
        b,
        secretB,
        {
          sessionId: 'b-1',
          startedAt: `${P}-28T08:00:00.000Z`,
          endedAt: `${P}-28T08:10:00.000Z`,
          bytesUp: 97_152,
          bytesDown: 2_000_000,
          mcc: '310',
          mnc: '260',
          rat: 'LTE-M',
        },
      ],
    ] as const) {
      const client = await mqtt.connectAsync(platform.mqttUrl, { username: iccid, password: secret, clientId: `dev-${iccid}`, reconnectPeriod: 0 });
      await client.publishAsync(`things/${iccid}/sessions`, JSON.stringify(session), { qos: 1 });
      await client.endAsync();
    }
    await eventually(async () => {
      const [row] = await db.query<{ n: number }>('select count(*)::int as n from usage_ledger where account_id = $1', [account.accountId]);
      return row.n === 2 ? true : undefined;
    }, 30_000);

    // SMS to SIMs: a wake-up (1 segment), an MT SMS (2 segments), and one never submitted (not billable).
    const sms = (id: string, iccid: string, kind: string, segments: number, submittedAt: string | null) =>
      db.query(
        `insert into sms_messages (id, account_id, iccid, kind, text, encoding, segments, status, gateway, validity_until, submitted_at)
         values ($1, $2, $3, $4, 'hello', 'gsm7', $5, $6, 'test', '${NEXT}-28T00:00:00Z', $7)`,
        [id, account.accountId, iccid, kind, segments, submittedAt ? 'sent' : 'queued', submittedAt],
      );
    await sms('sms_wake', a, 'wake-up', 1, `${P}-20T10:00:00Z`);
    await sms('sms_text', b, 'sms', 2, `${P}-21T10:00:00Z`);
    await sms('sms_queued', b, 'sms', 3, null);

    const drafted = await admin.post('/v1/invoices', { period: P, accountId: account.accountId });
    expect(drafted.status).toBe(201);
    const invoice = drafted.body.data[0];
    openInvoiceId = invoice.id;
    expect(invoice).toMatchObject({
      accountId: account.accountId,
      status: 'draft',
      planId: 'iot-custom',
      currency: 'EUR',
      provisional: true,
      period: { id: P, timeZone: 'Europe/Paris' },
    });
    const lines = byDescription(invoice.lines);
    expect(lines).toEqual({
      // a, b and c activated this month (plan iot-custom: 3.00); d in PREV.
      'SIM activation fee (one-time, at first activation)': { quantity: '3', unitPrice: '3', amount: '9.00' },
      // a, b, d active; c suspended but active earlier in the month.
      'SIM monthly subscription (active at any time in the month)': { quantity: '4', unitPrice: '2', amount: '8.00' },
      // 1,048,576 B = 1 MB × 0.010
      'Data traffic, zone zone-1': { quantity: '1', unitPrice: '0.01', amount: '0.01' },
      // 2,097,152 B = 2 MB × 0.050
      'Data traffic, zone zone-2': { quantity: '2', unitPrice: '0.05', amount: '0.10' },
      // sms-1 once although sent twice: 0.045 → 0.05
      'SMS MT to +33': { quantity: '1', unitPrice: '0.045', amount: '0.05' },
      // SIM MSISDNs are +88239…: 1 + 2 submitted segments × 0.050
      'SMS MT to +882': { quantity: '3', unitPrice: '0.05', amount: '0.15' },
      'E-mails (submitted or to a suppressed address)': { quantity: '1', unitPrice: '0.0008', amount: '0.00' },
      'Push notifications submitted': { quantity: '1', unitPrice: '0.0005', amount: '0.00' },
    });
    expect(invoice.total).toBe('17.31');
    expect(invoice.subtotals).toEqual([
      { product: 'things', amount: '17.11' },
      { product: 'channels', amount: '0.20' },
    ]);

    // Deterministic: regenerating with the same inputs gives byte-identical lines, under the same id.
    const again = await admin.post('/v1/invoices', { period: P, accountId: account.accountId });
    expect(again.body.data[0].id).toBe(openInvoiceId);
    expect(JSON.stringify(again.body.data[0].lines)).toBe(JSON.stringify(invoice.lines));

    // PREV (default plan): d's activation and monthly fee.
    const previous = await account.api.post('/v1/invoices', { period: PREV });
    expect(previous.status).toBe(201);
    expect(previous.body.data[0]).toMatchObject({ planId: 'default-eur', provisional: false, total: '3.50' });
    expect(byDescription(previous.body.data[0].lines)).toEqual({
      'SIM activation fee (one-time, at first activation)': { quantity: '1', unitPrice: '2', amount: '2.00' },
      'SIM monthly subscription (active at any time in the month)': { quantity: '1', unitPrice: '1.5', amount: '1.50' },
    });
    expect((await account.api.post('/v1/invoices', { period: PREV, accountId: 'acc_other' })).status).toBe(404);
    expect((await account.api.post('/v1/invoices', { period: '2026-1' })).body.errors).toEqual([{ field: 'period', message: expect.any(String) }]);
  });

  it('lists invoices, renders CSV and shows the usage behind a line', async () => {
    const reader = new ApiClient(platform.url, account.readKey);
    const listed = await reader.get(`/v1/invoices?period=${P}`);
    expect(listed.body.data.map((i: { id: string }) => i.id)).toEqual([openInvoiceId]);
    expect((await admin.get(`/v1/invoices?accountId=${account.accountId}&status=draft`)).body.data).toHaveLength(2);

    const csv = await reader.get(`/v1/invoices/${openInvoiceId}`, { accept: 'text/csv' });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows = (csv.body as string).trim().split('\r\n');
    expect(rows[0]).toBe('line,product,channel,description,quantity,unit,unitPrice,amount,currency,adjusts');
    expect(rows).toContain('0,things,sim,"SIM activation fee (one-time, at first activation)",3,SIM,3,9.00,EUR,');
    expect(rows.at(-1)).toBe('total,,,,,,,17.31,EUR,');

    const invoice = (await reader.get(`/v1/invoices/${openInvoiceId}`)).body;
    const monthly = invoice.lines.findIndex((l: Line) => l.description.startsWith('SIM monthly'));
    const usage = await reader.get(`/v1/invoices/${openInvoiceId}/lines/${monthly}/usage`);
    expect(usage.status).toBe(200);
    expect(usage.body.data.map((u: { iccid: string }) => u.iccid).sort()).toEqual([...sims].sort());
    const zone2 = invoice.lines.findIndex((l: Line) => l.description === 'Data traffic, zone zone-2');
    expect((await reader.get(`/v1/invoices/${openInvoiceId}/lines/${zone2}/usage`)).body.data).toEqual([
      expect.objectContaining({ kind: 'data-session', sessionId: 'b-1', bytesDown: 2_000_000 }),
    ]);
    const sms33 = invoice.lines.findIndex((l: Line) => l.description === 'SMS MT to +33');
    const smsUsage = (await reader.get(`/v1/invoices/${openInvoiceId}/lines/${sms33}/usage`)).body.data;
    expect(smsUsage.filter((u: { kind: string }) => u.kind === 'usage-event').map((u: { id: string }) => u.id)).toEqual(['sms-1']);
    expect((await reader.get(`/v1/invoices/${openInvoiceId}/lines/99/usage`)).status).toBe(404);

    // Another tenant sees nothing.
    const other = await createAccount(admin, 'Other Fleet');
    expect((await other.api.get(`/v1/invoices/${openInvoiceId}`)).status).toBe(404);
    expect((await other.api.get('/v1/invoices')).body.data).toEqual([]);
  });

  it('finalizes an invoice for good and bills a late event on the next invoice as an adjustment', async () => {
    expect((await account.api.post(`/v1/invoices/${openInvoiceId}/finalize`)).status).toBe(403);
    const finalized = await admin.post(`/v1/invoices/${openInvoiceId}/finalize`);
    expect(finalized.status).toBe(200);
    expect(finalized.body).toMatchObject({ status: 'finalized', total: '17.31', finalizedAt: expect.any(String) });
    expect((await admin.post(`/v1/invoices/${openInvoiceId}/finalize`)).status).toBe(409);
    const regenerate = await admin.post('/v1/invoices', { period: P, accountId: account.accountId });
    expect(regenerate.status).toBe(409);
    expect(regenerate.body.type).toContain('conflict');

    // A late SMS of P arrives after finalization.
    const late = await account.api.post('/v1/usage-events', [
      { id: 'sms-late', channel: 'sms', type: 'mt', to: '+33612345679', at: `${P}-20T10:00:00Z` },
    ]);
    expect(late.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const frozen = (await admin.get(`/v1/invoices/${openInvoiceId}`)).body;
    expect(JSON.stringify(frozen.lines)).toBe(JSON.stringify(finalized.body.lines));

    const next = await admin.post('/v1/invoices', { period: NEXT, accountId: account.accountId });
    expect(next.status).toBe(201);
    const lines = next.body.data[0].lines as Line[];
    // P's SMS MT to +33 is now 2 × 0.045 = 0.09, of which 0.05 was billed.
    expect(lines.filter((l) => l.adjusts)).toEqual([
      {
        product: 'channels',
        channel: 'sms',
        description: `Adjustment for ${P}: SMS MT to +33`,
        quantity: '1',
        unit: 'segment',
        unitPrice: '0.045',
        amount: '0.04',
        adjusts: P,
      },
    ]);
    expect(next.body.data[0].adjusts).toEqual([P]);
    // a, b and d are active on the 1st of NEXT; c stays suspended.
    expect(byDescription(lines.filter((l) => !l.adjusts))).toEqual({
      'SIM monthly subscription (active at any time in the month)': { quantity: '3', unitPrice: '2', amount: '6.00' },
    });
    expect(next.body.data[0].total).toBe('6.04');
    const usage = await admin.get(`/v1/invoices/${next.body.data[0].id}/lines/${lines.findIndex((l) => l.adjusts)}/usage`);
    expect(usage.body.data.filter((u: { kind: string }) => u.kind === 'usage-event').map((u: { id: string }) => u.id)).toEqual(['sms-late']);

    const events = await account.api.get('/v1/events?type=invoice.*');
    expect(events.body.data.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['invoice.drafted', 'invoice.finalized']));
  });

  it('runs the monthly job: drafts what is missing and finalizes drafts past the grace', async () => {
    // PREV's draft ended on the 1st of P, more than the default 3-day grace ago.
    await platform.platform.app.get(JobQueue).add('invoices.monthly', {});
    const previous = await eventually(async () => {
      const res = await admin.get(`/v1/invoices?accountId=${account.accountId}&period=${PREV}`);
      return res.body.data[0]?.status === 'finalized' ? res.body.data[0] : undefined;
    }, 30_000);
    expect(previous.total).toBe('3.50');
    // NEXT has not ended: still a draft.
    expect((await admin.get(`/v1/invoices?accountId=${account.accountId}&period=${NEXT}`)).body.data[0].status).toBe('draft');

    // A run for NEXT drafts the invoices still missing (the other account's), and leaves the existing draft alone.
    const before = (await admin.get(`/v1/invoices?accountId=${account.accountId}&period=${NEXT}`)).body.data[0];
    await platform.platform.app.get(JobQueue).add('invoices.monthly', { period: NEXT });
    const drafts = await eventually(async () => {
      const res = await admin.get(`/v1/invoices?period=${NEXT}`);
      return res.body.data.length === 2 ? res.body.data : undefined;
    }, 30_000);
    expect(drafts.map((i: { status: string }) => i.status)).toEqual(['draft', 'draft']);
    expect(drafts.find((i: { accountId: string }) => i.accountId === account.accountId).generatedAt).toBe(before.generatedAt);
    expect(drafts.find((i: { accountId: string }) => i.accountId !== account.accountId)).toMatchObject({ total: '0.00', lines: [] });
  });
});
