import { D } from './decimal.js';
import { rateInvoice } from './invoice.js';
import { DEFAULT_PLAN } from './plans/default-plan.js';
import type { PricePlan } from './plan.js';
import { lineOf, planWith } from './testing/fixtures.js';
import { rateDataSession, RatingError, type DataSessionRow } from './things.js';

const THINGS_PLAN: PricePlan = planWith({
  things: {
    activationFee: '2.00',
    activationFeeAt: 'activation',
    monthlyFee: '1.50',
    data: {
      zones: {
        eu: '0.01',
        world: '0.50',
        tiered: {
          mode: 'graduated',
          tiers: [
            { from: '0', upTo: '1', unitPrice: '1.00' },
            { from: '1', upTo: null, unitPrice: '0.10' },
          ],
        },
      },
      countryZones: { FR: 'eu', DE: 'eu', US: 'world', JP: 'tiered' },
      networkCountries: { '90128': 'US' },
    },
  },
  sms: { mt: { prefixes: { '+882': '0.05' }, default: '0.08' } },
});
const MB = 1_048_576;
const session = (over: Partial<DataSessionRow>): DataSessionRow => ({
  iccid: '8988000000000000001',
  sessionId: 's1',
  startedAt: '2026-10-10T10:00:00Z',
  bytesUp: 0,
  bytesDown: 0,
  mcc: '208',
  mnc: '01',
  ...over,
});

function invoice(things: Parameters<typeof rateInvoice>[0]['things'], plan: PricePlan = THINGS_PLAN) {
  return rateInvoice({ plan, period: '2026-10', things });
}

describe('rateDataSession', () => {
  it.each([
    // bytesUp, bytesDown, mcc, mnc, zone, billable bytes, amount
    [0, 0, '208', '01', 'eu', 0, '0'],
    [1, 0, '208', '01', 'eu', 1024, '0.0000097656250'], // 1 byte → one 1 KiB increment
    [1000, 24, '262', '02', 'eu', 1024, '0.0000097656250'],
    [MB, 1, '208', '10', 'eu', MB + 1024, '0.0100097656250'],
    [MB / 2, MB / 2, '310', '260', 'world', MB, '0.5'],
    [MB, 0, '901', '28', 'world', MB, '0.5'], // MCC-MNC override → US → world
    ['2097152', '0', '440', '10', 'tiered', 2 * MB, '1.1'], // tiered zone: the session priced alone
  ])('%s up + %s down on %s-%s → zone %s, %s bytes, %s', (up, down, mcc, mnc, zone, bytes, amount) => {
    const r = rateDataSession(THINGS_PLAN, session({ bytesUp: up, bytesDown: down, mcc, mnc }));
    expect(r.zone).toBe(zone);
    expect(r.billableBytes).toBe(bytes);
    expect(r.amount.eq(new D(amount))).toBe(true);
  });

  it('throws UNKNOWN_ZONE for a network without zone and no default zone', () => {
    expect(() => rateDataSession(THINGS_PLAN, session({ mcc: '724', mnc: '05' }))).toThrow(RatingError);
    expect(() => rateDataSession(THINGS_PLAN, session({ mcc: '724', mnc: '05' }))).toThrow(/no zone/);
  });

  it('uses the default zone of the default plan for unlisted countries', () => {
    expect(rateDataSession(DEFAULT_PLAN, session({ mcc: '901', mnc: '28', bytesUp: 10 })).zone).toBe('zone-4');
  });

  it('refuses non-integer byte counters', () => {
    expect(() => rateDataSession(THINGS_PLAN, session({ bytesUp: 1.5 }))).toThrow(/non-negative integer/);
  });
});

describe('THINGS invoice lines', () => {
  it('data traffic is rounded up per session and summed per zone', () => {
    const inv = invoice({
      dataSessions: [
        session({ sessionId: 'a', bytesUp: 1, bytesDown: 0 }), // 1 KiB
        session({ sessionId: 'b', bytesUp: 1025, bytesDown: 0 }), // 2 KiB
        session({ sessionId: 'c', bytesUp: MB - 3 * 1024, bytesDown: 0, mcc: '262' }), // rest of 1 MiB, in DE (eu)
        session({ sessionId: 'd', bytesUp: MB, bytesDown: MB, mcc: '310', mnc: '410' }), // 2 MiB in world
        session({ sessionId: 'e', startedAt: '2026-09-30T21:59:59Z', bytesUp: MB }), // September in Paris
      ],
    });
    const data = inv.lines.filter((l) => l.channel === 'data');
    expect(data).toEqual([
      expect.objectContaining({ description: 'Data traffic, zone eu', quantity: '1', unit: 'MB', unitPrice: '0.01', amount: '0.01' }),
      expect.objectContaining({ description: 'Data traffic, zone world', quantity: '2', unit: 'MB', unitPrice: '0.5', amount: '1.00' }),
    ]);
  });

  it('a session row repeated with cumulative counters counts once, at its final size', () => {
    const inv = invoice({
      dataSessions: [session({ bytesUp: MB, bytesDown: 0 }), session({ bytesUp: 3 * MB, bytesDown: MB }), session({ bytesUp: 2 * MB, bytesDown: 0 })],
    });
    expect(lineOf(inv.lines, 'zone eu')[0]).toMatchObject({ quantity: '4', amount: '0.04' });
    expect(inv.stats.duplicateDataSessions).toBe(2);
  });

  it('a session in a country without zone is reported unrated, not dropped silently', () => {
    const inv = invoice({ dataSessions: [session({ mcc: '724', mnc: '05', bytesUp: 5 })] });
    expect(inv.lines).toEqual([]);
    expect(inv.unrated).toEqual([expect.objectContaining({ channel: 'data', count: 1, examples: ['8988000000000000001/s1'] })]);
  });

  it.each([
    // setting, sim record, activation fees in October
    ['activation', { iccid: 'A', allocatedAt: '2026-09-01T00:00:00Z', firstActivatedAt: '2026-10-03T00:00:00Z' }, 1],
    ['activation', { iccid: 'A', allocatedAt: '2026-10-01T00:00:00Z' }, 0], // allocated, never activated
    ['activation', { iccid: 'A', firstActivatedAt: '2026-09-30T21:30:00Z' }, 0], // 23:30 Paris on 30 Sept
    ['activation', { iccid: 'A', firstActivatedAt: '2026-09-30T22:00:00Z' }, 1], // 00:00 Paris on 1 Oct
    ['allocation', { iccid: 'A', allocatedAt: '2026-10-20T00:00:00Z', firstActivatedAt: '2026-11-03T00:00:00Z' }, 1],
    ['allocation', { iccid: 'A', allocatedAt: '2026-09-20T00:00:00Z', firstActivatedAt: '2026-10-03T00:00:00Z' }, 0],
  ] as const)('activationFeeAt %s, %j → %s fee(s)', (at, sim, expected) => {
    const plan = { ...THINGS_PLAN, things: { ...THINGS_PLAN.things!, activationFeeAt: at } };
    const inv = invoice({ sims: [sim] }, plan);
    expect(lineOf(inv.lines, 'activation fee').map((l) => l.quantity)).toEqual(expected ? [String(expected)] : []);
  });

  it('the activation fee is charged once per SIM even if records repeat', () => {
    const inv = invoice({
      sims: [
        { iccid: 'A', firstActivatedAt: '2026-10-03T00:00:00Z' },
        { iccid: 'A', firstActivatedAt: '2026-10-03T00:00:00Z' },
        { iccid: 'B', firstActivatedAt: '2026-10-04T00:00:00Z' },
        { iccid: 'B', firstActivatedAt: '2026-08-04T00:00:00Z' }, // B's first activation was in August
      ],
    });
    expect(lineOf(inv.lines, 'activation fee')[0]).toMatchObject({ quantity: '1', amount: '2.00' });
  });

  it('the monthly fee is due for every SIM active at any moment of the month, never prorated', () => {
    const inv = invoice({
      lifecycle: [
        { iccid: 'active-all-month', status: 'active', at: '2026-01-01T00:00:00Z' },
        { iccid: 'active-one-hour', status: 'suspended', at: '2026-01-01T00:00:00Z' },
        { iccid: 'active-one-hour', status: 'active', at: '2026-10-31T22:00:00Z' }, // 23:00 Paris on 31 Oct
        { iccid: 'active-one-hour', status: 'suspended', at: '2026-10-31T22:59:00Z' },
        { iccid: 'suspended-at-start', status: 'active', at: '2026-09-01T00:00:00Z' },
        { iccid: 'suspended-at-start', status: 'suspended', at: '2026-09-30T22:00:00Z' }, // exactly at period start
        { iccid: 'terminated', status: 'terminated', at: '2026-09-15T00:00:00Z' },
        { iccid: 'from-november', status: 'active', at: '2026-10-31T23:00:00Z' }, // 00:00 Paris on 1 Nov
      ],
      activeIntervals: [
        { iccid: 'interval-only', from: '2026-10-10T00:00:00Z', to: '2026-10-11T00:00:00Z' },
        { iccid: 'interval-ended-at-start', from: '2026-09-10T00:00:00Z', to: '2026-09-30T22:00:00Z' },
        { iccid: 'active-all-month', from: '2026-09-10T00:00:00Z', to: null },
      ],
    });
    expect(lineOf(inv.lines, 'monthly subscription')[0]).toMatchObject({ quantity: '3', unitPrice: '1.5', amount: '4.50' });
  });

  it('SMS MT segments to SIMs are billed as SMS MT by destination', () => {
    const inv = invoice({
      smsMt: [
        { iccid: 'A', messageId: 'm1', at: '2026-10-05T00:00:00Z', to: '+882360000000001' },
        { iccid: 'A', messageId: 'm1', at: '2026-10-05T00:00:00Z', to: '+882360000000001' }, // duplicate
        { iccid: 'B', messageId: 'm2', at: '2026-10-05T00:00:00Z', segments: 3 }, // no MSISDN: default price
        { iccid: 'B', messageId: 'm3', at: '2026-10-05T00:00:00Z', blocked: true },
      ],
    });
    expect(inv.lines.filter((l) => l.channel === 'sms').map((l) => [l.description, l.quantity, l.amount])).toEqual([
      ['SMS MT to +882', '1', '0.05'],
      ['SMS MT, other destinations', '3', '0.24'],
    ]);
  });
});
