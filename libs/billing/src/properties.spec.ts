import fc from 'fast-check';
import { D } from './decimal.js';
import { InvoiceBuilder, rateInvoice, type Invoice } from './invoice.js';
import { FULL_PLAN } from './testing/fixtures.js';

/** Random events over several channels, a few days around the October 2026 period (Paris). */
const instant = fc
  .integer({ min: Date.parse('2026-09-28T00:00:00Z'), max: Date.parse('2026-11-02T00:00:00Z') })
  .map((ms) => new Date(ms - (ms % 60_000)).toISOString());
const user = fc.constantFrom('+33611111111', '+33622222222', '+4915133333333', '+12125550100');
const eventArb = fc.oneof(
  fc.record({
    channel: fc.constant('sms'),
    type: fc.constant('mt'),
    to: user,
    segments: fc.integer({ min: 1, max: 4 }),
    at: instant,
    blocked: fc.boolean(),
  }),
  fc.record({ channel: fc.constant('sms'), type: fc.constant('mo'), from: user, at: instant }),
  fc.record({ channel: fc.constant('whatsapp'), type: fc.constant('mo'), sender: fc.constant('S'), from: user, at: instant }),
  fc.record({
    channel: fc.constant('whatsapp'),
    type: fc.constant('template'),
    sender: fc.constant('S'),
    to: user,
    category: fc.constantFrom('utility', 'marketing', 'authentication'),
    delivered: fc.boolean(),
    at: instant,
  }),
  fc.record({
    channel: fc.constant('whatsapp'),
    type: fc.constant('free-form'),
    sender: fc.constant('S'),
    to: user,
    delivered: fc.constant(true),
    at: instant,
  }),
  fc.record({ channel: fc.constant('viber'), type: fc.constant('mo'), sender: fc.constant('V'), from: user, at: instant }),
  fc.record({
    channel: fc.constant('viber'),
    type: fc.constant('message'),
    sender: fc.constantFrom('V', 'W'),
    to: user,
    messageType: fc.constantFrom('session', 'promotional'),
    delivered: fc.boolean(),
    at: instant,
  }),
  fc.record({
    channel: fc.constant('voice'),
    type: fc.constant('call'),
    callId: fc.string({ minLength: 1, maxLength: 4 }),
    service: fc.constant('ivr'),
    to: user,
    answered: fc.boolean(),
    durationSeconds: fc.integer({ min: 0, max: 900 }),
    recorded: fc.boolean(),
    at: instant,
  }),
  fc.record({
    channel: fc.constant('answers'),
    type: fc.constant('message'),
    bot: fc.constant('B'),
    userId: user,
    direction: fc.constantFrom('in', 'out'),
    at: instant,
  }),
  fc.record({
    channel: fc.constant('conversations'),
    type: fc.constantFrom('user-provisioned', 'user-deprovisioned'),
    userId: fc.constantFrom('a', 'b', 'c'),
    at: instant,
  }),
);
const eventsArb = fc.array(eventArb, { maxLength: 60 }).map((list) => list.map((e, i) => ({ id: `e${i}`, ...e })));
const dataArb = fc
  .array(
    fc.record({
      iccid: fc.constantFrom('A', 'B', 'C'),
      sessionId: fc.constantFrom('1', '2', '3', '4'),
      startedAt: instant,
      bytesUp: fc.integer({ min: 0, max: 5_000_000 }),
      bytesDown: fc.integer({ min: 0, max: 5_000_000 }),
      mcc: fc.constantFrom('208', '262', '310', '724', '440'),
      mnc: fc.constant('01'),
    }),
    { maxLength: 20 },
  )
  .map((rows) => {
    // Same session id ⇒ same start and network (a ledger row is per session).
    const first = new Map<string, (typeof rows)[number]>();
    return rows.map((r) => {
      const k = `${r.iccid}/${r.sessionId}`;
      const f = first.get(k) ?? (first.set(k, r), r);
      return { ...r, startedAt: f.startedAt, mcc: f.mcc, mnc: f.mnc };
    });
  });

const rate = (
  events: unknown[],
  dataSessions: Parameters<typeof rateInvoice>[0]['things'] extends infer T ? (T extends { dataSessions?: infer S } ? S : never) : never = [],
) => rateInvoice({ plan: FULL_PLAN, period: '2026-10', events, things: { dataSessions } });

const totalOfLines = (inv: Invoice) => inv.lines.reduce((acc, l) => acc.plus(l.amount), new D(0));

describe('rating properties', () => {
  it('total = sum of lines = sum of subtotals', () => {
    fc.assert(
      fc.property(eventsArb, dataArb, (events, data) => {
        const inv = rate(events, data);
        expect(totalOfLines(inv).eq(inv.total)).toBe(true);
        expect(inv.subtotals.reduce((acc, s) => acc.plus(s.amount), new D(0)).eq(inv.total)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('does not depend on event order', () => {
    fc.assert(
      fc.property(
        eventsArb.chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length }))),
        dataArb,
        ([events, shuffled], data) => {
          expect(rate(shuffled, [...data].reverse())).toEqual(rate(events, data));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('does not depend on how a batch is split', () => {
    fc.assert(
      fc.property(eventsArb, fc.array(fc.nat(), { maxLength: 4 }), (events, cuts) => {
        const b = new InvoiceBuilder(FULL_PLAN, '2026-10');
        const bounds = [0, ...cuts.map((c) => (events.length ? c % (events.length + 1) : 0)).sort((x, y) => x - y), events.length];
        for (let i = 0; i + 1 < bounds.length; i++) b.addEvents(events.slice(bounds[i], bounds[i + 1]));
        expect(b.build()).toEqual(rate(events));
      }),
      { numRuns: 150 },
    );
  });

  it('a duplicate event or data row never changes a total', () => {
    fc.assert(
      fc.property(eventsArb, dataArb, fc.array(fc.nat(), { maxLength: 10 }), (events, data, picks) => {
        const dupEvents = events.length ? picks.map((p) => events[p % events.length]!) : [];
        const dupData = data.length ? picks.map((p) => data[p % data.length]!) : [];
        const base = rate(events, data);
        const withDups = rate([...events, ...dupEvents], [...data, ...dupData]);
        expect(withDups.total).toBe(base.total);
        expect(withDups.lines).toEqual(base.lines);
      }),
      { numRuns: 150 },
    );
  });
});
