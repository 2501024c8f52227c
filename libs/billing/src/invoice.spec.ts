import { EventValidationError } from './events.js';
import { InvoiceBuilder, rateInvoice } from './invoice.js';
import { PlanValidationError } from './plan.js';
import { CLOCK, ev, FULL_PLAN, planWith } from './testing/fixtures.js';
import { fixedClock } from './time.js';

const events = [
  ev({ id: 'a', channel: 'sms', type: 'mt', to: '+33612345678', segments: 2, at: '2026-10-05T10:00:00Z' }),
  ev({ id: 'b', channel: 'sms', type: 'mt', to: '+4915112345678', at: '2026-10-05T10:00:00Z' }),
  ev({
    id: 'c',
    channel: 'voice',
    type: 'call',
    callId: 'c1',
    service: 'ivr',
    to: '+33612345678',
    answered: true,
    durationSeconds: 61,
    at: '2026-10-05T10:00:00Z',
  }),
  ev({ id: 'd', channel: 'sms', type: 'mt', to: '+33612345678', at: '2026-11-01T00:30:00+01:00' }), // November in Paris
  ev({ id: 'e', channel: 'sms', type: 'mt', to: '+33612345678', at: '2026-10-01T00:30:00+02:00' }), // October in Paris
];

describe('rateInvoice', () => {
  it('returns the period in the plan time zone, lines, subtotals per product and the total', () => {
    const inv = rateInvoice({ plan: planWith({ sms: FULL_PLAN.sms, voice: FULL_PLAN.voice }), period: '2026-10', events, clock: CLOCK });
    expect(inv.period).toEqual({ id: '2026-10', start: '2026-10-01T00:00:00+02:00', end: '2026-11-01T00:00:00+01:00', timeZone: 'Europe/Paris' });
    expect(inv.currency).toBe('EUR');
    expect(inv.lines.map((l) => [l.description, l.quantity, l.unitPrice, l.amount])).toEqual([
      ['SMS MT to +33', '3', '0.045', '0.14'],
      ['SMS MT to +49', '1', '0.075', '0.08'],
      ['Voice minutes to +336', '2', '0.07', '0.14'],
    ]);
    expect(inv.subtotals).toEqual([{ product: 'channels', amount: '0.36' }]);
    expect(inv.total).toBe('0.36');
    expect(inv.generatedAt).toBe('2026-11-05T09:00:00.000Z');
    expect(inv.provisional).toBe(false);
  });

  it('marks an invoice of a running period provisional', () => {
    const inv = rateInvoice({ plan: planWith({ sms: FULL_PLAN.sms }), period: '2026-10', events, clock: fixedClock('2026-10-20T00:00:00Z') });
    expect(inv.provisional).toBe(true);
  });

  it('the same event twice never changes the total', () => {
    const plan = planWith({ sms: FULL_PLAN.sms, voice: FULL_PLAN.voice });
    const once = rateInvoice({ plan, period: '2026-10', events });
    const twice = rateInvoice({ plan, period: '2026-10', events: [...events, ...events] });
    expect(twice.lines).toEqual(once.lines);
    expect(twice.stats.duplicateEvents).toBe(events.length);
  });

  it('rounds per the plan: decimals and mode', () => {
    const e = Array.from({ length: 3 }, () => ev({ channel: 'sms', type: 'mo', from: '+33600000000', at: '2026-10-05T10:00:00Z' }));
    const halfUp = rateInvoice({ plan: planWith({ sms: { mo: '0.0050' } }), period: '2026-10', events: e.slice(0, 1) });
    expect(halfUp.total).toBe('0.01');
    const down = rateInvoice({ plan: planWith({ sms: { mo: '0.0050' }, rounding: { mode: 'down' } }), period: '2026-10', events: e.slice(0, 1) });
    expect(down.total).toBe('0.00');
    const four = rateInvoice({ plan: planWith({ sms: { mo: '0.00333' }, rounding: { decimals: 4 } }), period: '2026-10', events: e });
    expect(four.total).toBe('0.0100');
    const yen = rateInvoice({ plan: planWith({ currency: 'JPY', sms: { mo: '4.5' } }), period: '2026-10', events: e.slice(0, 1) });
    expect(yen.total).toBe('5');
  });

  it('invalid events are reported together with their index and id', () => {
    const bad = [
      { id: 'x', channel: 'sms', type: 'mt', at: '2026-10-05T10:00:00Z' },
      { id: 'y', channel: 'fax', type: 'mt', at: 'yesterday' },
      events[0],
    ];
    expect(() => rateInvoice({ plan: FULL_PLAN, period: '2026-10', events: bad })).toThrow(EventValidationError);
    try {
      rateInvoice({ plan: FULL_PLAN, period: '2026-10', events: bad });
    } catch (e) {
      expect((e as EventValidationError).problems).toEqual([
        expect.objectContaining({ index: 0, id: 'x', path: 'to' }),
        expect.objectContaining({ index: 1, id: 'y', path: 'channel', message: expect.stringContaining('unknown channel "fax"') }),
      ]);
    }
  });

  it('an invalid plan is refused with its problems', () => {
    expect(() => rateInvoice({ plan: { ...FULL_PLAN, currency: 'EURO' }, period: '2026-10', events: [] })).toThrow(PlanValidationError);
  });

  it('a builder fed in batches gives the same invoice as one call', () => {
    const plan = planWith({ sms: FULL_PLAN.sms, voice: FULL_PLAN.voice });
    const b = new InvoiceBuilder(plan, '2026-10');
    b.addEvents(events.slice(0, 2));
    b.addEvents(events.slice(2));
    expect(b.build()).toEqual(rateInvoice({ plan, period: '2026-10', events }));
  });
});
