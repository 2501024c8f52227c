import { parseEvent } from './events.js';
import { rateInvoice } from './invoice.js';
import type { PricePlan } from './plan.js';
import { CLOCK, ev, FULL_PLAN, lineOf, planWith } from './testing/fixtures.js';

const rate = (events: unknown[], plan: PricePlan = FULL_PLAN, period = '2026-10') => rateInvoice({ plan, period, events, clock: CLOCK });
const at = (day: number, hh = 10, mm = 0) =>
  `2026-10-${String(day).padStart(2, '0')}T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00Z`;
const q = (inv: ReturnType<typeof rate>, text: string) => lineOf(inv.lines, text).map((l) => [l.quantity, l.amount]);

describe('seed examples', () => {
  it('Signals: 1,200,000 interactions with 250,000 blocked → 950,000 billable, blocked SMS not billed either', () => {
    const events = Array.from({ length: 1_200_000 }, (_, i) => ({
      id: `s${i}`,
      channel: 'sms',
      type: 'mt',
      to: '+33612345678',
      at: at(5),
      ...(i < 250_000 ? { blocked: true } : {}),
    }));
    const inv = rate(events, planWith({ sms: { mt: '0.01' }, signals: FULL_PLAN.signals }));
    // 500,000 × 0.0010 + 450,000 × 0.0007 = 500 + 315
    expect(inv.lines.filter((l) => l.product === 'signals').map((l) => [l.quantity, l.unitPrice, l.amount])).toEqual([
      ['500000', '0.001', '500.00'],
      ['450000', '0.0007', '315.00'],
    ]);
    expect(inv.lines.find((l) => l.product === 'signals')!.description).toContain('250000 blocked not billed');
    expect(q(inv, 'SMS MT')).toEqual([['950000', '9500.00']]);
    expect(inv.stats.blockedEvents).toBe(250_000);
  });

  it('recording within Conversations: 5 GB kept 2 days is billed twice as 5 GB', () => {
    const inv = rate([
      ev({ channel: 'recording', type: 'stored', recordingId: 'r1', scope: 'conversations', sizeBytes: 5_000_000_000, at: at(3, 8) }),
      ev({ channel: 'recording', type: 'deleted', recordingId: 'r1', at: at(5, 8) }),
    ]);
    expect(lineOf(inv.lines, 'Conversations recording storage')).toEqual([
      expect.objectContaining({ quantity: '10', unit: 'GB-day', unitPrice: '0.01', amount: '0.10' }),
    ]);
  });

  it('a 5-minute recorded call kept 2 days is billed as 2 × 5 minutes', () => {
    const inv = rate([
      ev({ channel: 'recording', type: 'stored', recordingId: 'r2', scope: 'standalone', durationSeconds: 300, at: at(3, 8) }),
      ev({ channel: 'recording', type: 'deleted', recordingId: 'r2', at: at(5, 8) }),
    ]);
    expect(lineOf(inv.lines, 'Call recording storage')).toEqual([expect.objectContaining({ quantity: '10', unit: 'minute-day' })]);
  });

  it('recording storage counts each started 24 h period inside the month only, up to the clock for kept recordings', () => {
    const inv = rate([
      ev({ channel: 'recording', type: 'stored', recordingId: 'sept', scope: 'standalone', durationSeconds: 60, at: '2026-09-30T12:00:00Z' }), // Paris: periods from 30 Sep 14:00; Oct periods start 1 Oct 12:00Z …
      ev({ channel: 'recording', type: 'deleted', recordingId: 'sept', at: at(3, 12, 1) }), // periods starting 1 Oct, 2 Oct, 3 Oct 12:00Z
    ]);
    expect(q(inv, 'Call recording storage')).toEqual([['3', '0.00']]);
  });

  it('WhatsApp: a utility conversation then a marketing template opens a second, marketing conversation', () => {
    const inv = rate([
      ev({ channel: 'whatsapp', type: 'template', sender: 'S', to: '+33611111111', category: 'utility', delivered: true, at: at(5, 10) }),
      ev({ channel: 'whatsapp', type: 'template', sender: 'S', to: '+33611111111', category: 'marketing', delivered: true, at: at(5, 11) }),
      ev({ channel: 'whatsapp', type: 'template', sender: 'S', to: '+33611111111', category: 'utility', delivered: true, at: at(5, 12) }), // inside the utility window
      ev({ channel: 'whatsapp', type: 'template', sender: 'S', to: '+33611111111', category: 'utility', delivered: true, at: at(6, 10) }), // 24 h later: new window
      ev({ channel: 'whatsapp', type: 'template', sender: 'S', to: '+33622222222', category: 'authentication', delivered: false, at: at(6, 10) }), // not delivered
    ]);
    expect(q(inv, 'WhatsApp utility')).toEqual([['2', '0.06']]);
    expect(q(inv, 'WhatsApp marketing')).toEqual([['1', '0.07']]);
    expect(q(inv, 'WhatsApp authentication')).toEqual([]);
  });

  it('WhatsApp service conversation: only a free-form reply in the CSW with no other window open', () => {
    const inv = rate([
      ev({ channel: 'whatsapp', type: 'mo', sender: 'S', from: 'u1', at: at(5, 9) }),
      ev({ channel: 'whatsapp', type: 'free-form', sender: 'S', to: 'u1', delivered: true, at: at(5, 10) }), // opens service
      ev({ channel: 'whatsapp', type: 'free-form', sender: 'S', to: 'u1', delivered: true, at: at(5, 11) }), // covered
      ev({ channel: 'whatsapp', type: 'template', sender: 'S', to: 'u2', category: 'marketing', delivered: true, at: at(7, 9) }),
      ev({ channel: 'whatsapp', type: 'mo', sender: 'S', from: 'u2', at: at(7, 10) }),
      ev({ channel: 'whatsapp', type: 'free-form', sender: 'S', to: 'u2', delivered: true, at: at(7, 11) }), // marketing window open: covered
      ev({ channel: 'whatsapp', type: 'free-form', sender: 'S', to: 'u3', delivered: true, at: at(8, 11) }), // no CSW: not billable
    ]);
    expect(q(inv, 'WhatsApp service')).toEqual([['1', '0.02']]);
    expect(q(inv, 'WhatsApp marketing')).toEqual([['1', '0.07']]);
    expect(inv.unrated).toEqual([expect.objectContaining({ channel: 'whatsapp', type: 'free-form', count: 1 })]);
  });

  it('WhatsApp: a conversation opened on the last evening of September covers the first hours of October', () => {
    const inv = rate([
      ev({ channel: 'whatsapp', type: 'template', sender: 'S', to: 'u1', category: 'utility', delivered: true, at: '2026-09-30T20:00:00Z' }),
      ev({ channel: 'whatsapp', type: 'template', sender: 'S', to: 'u1', category: 'utility', delivered: true, at: at(1, 8) }),
    ]);
    expect(q(inv, 'WhatsApp utility')).toEqual([]);
  });

  it('Conversations: named users at their maximum simultaneous count; deprovision then re-add costs nothing', () => {
    const users = Array.from({ length: 12 }, (_, i) =>
      ev({ channel: 'conversations', type: 'user-provisioned', userId: `u${i}`, at: '2026-09-01T00:00:00Z' }),
    );
    const inv = rate([
      ...users,
      ev({ channel: 'conversations', type: 'user-deprovisioned', userId: 'u0', at: at(10) }),
      ev({ channel: 'conversations', type: 'user-provisioned', userId: 'u0', at: at(12) }),
      ev({ channel: 'conversations', type: 'user-deprovisioned', userId: 'u1', at: at(15) }),
      ev({ channel: 'conversations', type: 'user-provisioned', userId: 'u12', at: at(15) }), // replaces u1 at the same instant
      ev({ channel: 'conversations', type: 'user-provisioned', userId: 'u13', at: at(20) }), // 13 simultaneous
    ]);
    expect(lineOf(inv.lines, 'Monthly Active Agents')).toEqual([
      expect.objectContaining({ description: expect.stringContaining('package (13 users, 10 included)'), amount: '310.00' }),
      expect.objectContaining({ description: expect.stringContaining('overage'), quantity: '3', amount: '93.00' }),
    ]);
  });

  it('Conversations first month: prorated by day from the start date; users added later at full price', () => {
    const plan = { ...FULL_PLAN, conversations: { package: { fee: '310.00', included: 10, overage: '31.00' }, startDate: '2026-10-22' } };
    const users = Array.from({ length: 11 }, (_, i) =>
      ev({ channel: 'conversations', type: 'user-provisioned', userId: `u${i}`, at: '2026-10-22T07:00:00Z' }),
    );
    const inv = rate([...users, ev({ channel: 'conversations', type: 'user-provisioned', userId: 'late', at: at(25) })], plan);
    // 22..31 October = 10 of 31 days: 310 × 10/31 = 100; 1 initial extra seat 31 × 10/31 = 10; 1 added later 31
    expect(lineOf(inv.lines, 'Monthly Active Agents').map((l) => [l.quantity, l.unit, l.amount])).toEqual([
      ['10', 'day', '100.00'],
      ['1', 'user', '10.00'],
      ['1', 'user', '31.00'],
    ]);
    expect(lineOf(rate(users, plan, '2026-09').lines, 'Monthly Active Agents')).toEqual([]); // not started in September
    expect(lineOf(rate(users, plan, '2026-11').lines, 'Monthly Active Agents')[0]).toMatchObject({ amount: '310.00' });
  });

  it('a rejected e-mail needs no recipient (its absence is why it was rejected): counted, not billed', () => {
    const inv = rate([
      { id: 'no-to', channel: 'email', type: 'submitted', at: at(6), rejected: true },
      { id: 'bad-to', channel: 'sms', type: 'mt', to: 'not a number', at: at(6), rejected: true },
      ev({ channel: 'email', type: 'submitted', to: 'a@example.com', at: at(6) }),
    ]);
    expect(inv.stats.rejectedEvents).toBe(2);
    expect(q(inv, 'E-mails')).toEqual([['1', expect.any(String)]]);
    // Without `rejected: true` the same event is still refused, naming the missing field.
    expect(parseEvent({ id: 'no-to', channel: 'email', type: 'submitted', at: at(6) })).toMatchObject({ ok: false, problems: [{ path: 'to' }] });
    // A rejected event still needs what every event needs.
    expect(parseEvent({ channel: 'email', type: 'submitted', at: at(6), rejected: true })).toMatchObject({ ok: false, problems: [{ path: 'id' }] });
  });

  it('e-mail to a suppressed address is charged but not sent; rejected e-mails are not charged', () => {
    const inv = rate([
      ev({ channel: 'email', type: 'submitted', to: 'bad@example.com', at: at(5, 10) }), // billed on first submission
      ev({ channel: 'email', type: 'bounced', to: 'bad@example.com', at: at(5, 10, 1) }), // suppression list
      ev({ channel: 'email', type: 'suppressed', to: 'bad@example.com', at: at(6) }), // not submitted, still charged
      ev({ channel: 'email', type: 'submitted', to: 'x@', at: at(6), rejected: true }), // failed validation
      ev({ channel: 'email-validation', type: 'request', address: 'a@b.c', result: 'unknown', at: at(6) }),
    ]);
    expect(lineOf(inv.lines, 'E-mails')[0]).toMatchObject({ quantity: '2', unitPrice: '0.0008', amount: '0.00' });
    expect(lineOf(inv.lines, 'E-mail validation')[0]).toMatchObject({ quantity: '1' });
    expect(inv.stats.rejectedEvents).toBe(1);
  });
});

describe('channels', () => {
  it('SMS / MMS / RCS: MT by destination prefix and per segment, MO on acceptance, rejected never billed', () => {
    const inv = rate([
      ev({ channel: 'sms', type: 'mt', to: '+33612345678', segments: 3, at: at(2) }),
      ev({ channel: 'sms', type: 'mt', to: '+4915112345678', at: at(2) }),
      ev({ channel: 'sms', type: 'mt', to: '+819012345678', at: at(2) }),
      ev({ channel: 'sms', type: 'mt', to: '+33612345678', at: at(2), rejected: true }),
      ev({ channel: 'sms', type: 'mo', from: '+33612345678', at: at(2) }),
      ev({ channel: 'mms', type: 'mt', to: '+12125550100', at: at(2) }),
      ev({ channel: 'mms', type: 'mo', from: '+12125550100', at: at(2) }),
      ev({ channel: 'rcs', type: 'mt', to: '+33612345678', at: at(2) }),
      ev({ channel: 'rcs', type: 'mo', from: '+33612345678', at: at(2) }),
    ]);
    expect(inv.lines.filter((l) => ['sms', 'mms', 'rcs'].includes(l.channel)).map((l) => [l.description, l.quantity, l.amount])).toEqual([
      ['SMS MT to +33', '3', '0.14'], // 0.135 → half-up
      ['SMS MT to +49', '1', '0.08'],
      ['SMS MT, other destinations', '1', '0.08'],
      ['SMS MO', '1', '0.01'],
      ['MMS MT to +1', '1', '0.02'],
      ['MMS MO', '1', '0.01'],
      ['RCS MT, other destinations', '1', '0.03'],
      ['RCS MO', '1', '0.01'],
    ]);
  });

  it('rounds each line once, not each event: 10 SMS at 0.0045 make 0.05, not 10 × 0.00', () => {
    const events = Array.from({ length: 10 }, () => ev({ channel: 'sms', type: 'mt', to: '+33600000000', at: at(2) }));
    expect(q(rate(events, planWith({ sms: { mt: '0.0045' } })), 'SMS MT')).toEqual([['10', '0.05']]);
  });

  it('voice: an answered call of 0 s is billed its first increment, and its AMD request; an unanswered one is not', () => {
    const call = (callId: string, durationSeconds: number, extra: object = {}) =>
      ev({ channel: 'voice', type: 'call', callId, service: 'ivr', to: '+33612345678', answered: true, durationSeconds, at: at(3), ...extra });
    const withIncrements = planWith({ voice: { perMinute: '0.60', increments: { firstSeconds: 30, nextSeconds: 6 }, amdRequest: '0.01' } });
    const inv = rate(
      [call('zero', 0, { amd: true }), call('zero-human', 0, { answeredBy: 'human' }), call('missed', 0, { answered: false, amd: true })],
      withIncrements,
    );
    expect(inv.lines.filter((l) => l.channel === 'voice').map((l) => [l.description, l.quantity, l.unitPrice, l.amount])).toEqual([
      // 2 × 30 s = 1 minute at 0.60
      ['Voice minutes', '1', '0.6', '0.60'],
      ['Answering-machine detection requests (answered calls)', '1', '0.01', '0.01'],
    ]);
  });

  it('voice: each started 60 s of answered calls, by longest prefix, rounded on the line', () => {
    const call = (to: string, durationSeconds: number, extra: object = {}) =>
      ev({
        channel: 'voice',
        type: 'call',
        callId: `c-${to}-${durationSeconds}`,
        service: 'ivr',
        to,
        answered: true,
        durationSeconds,
        at: at(3),
        ...extra,
      });
    const inv = rate([
      call('+33612345678', 61), // 2 min at 0.07
      call('+33612345679', 1), // 1 min
      call('+33145678901', 125), // 3 min at 0.015 (+331)
      call('+33245678901', 60), // 1 min at 0.02 (+33)
      call('+33645678901', 30, { answered: false }), // not answered
      call('+33645678902', 59, { amd: true }), // 1 min + AMD
      call('+33645678903', 45, { service: 'click-to-call', leg: 'a', callId: 'ctc' }),
      call('+33645678904', 45, { service: 'click-to-call', leg: 'b', callId: 'ctc' }), // both legs billed
      call('+4930123456', 10, { byoc: true }), // BYOC rate
    ]);
    expect(inv.lines.filter((l) => ['voice', 'byoc'].includes(l.channel)).map((l) => [l.description, l.quantity, l.amount])).toEqual([
      ['Voice minutes to +33', '1', '0.02'],
      ['Voice minutes to +331', '3', '0.05'], // 0.045
      ['Voice minutes to +336', '6', '0.42'],
      ['BYOC minutes', '1', '0.00'],
      ['Answering-machine detection requests (answered calls)', '1', '0.00'],
    ]);
  });

  it('voice increments come from the plan (30/6)', () => {
    const plan = planWith({ voice: { perMinute: '0.60', increments: { firstSeconds: 30, nextSeconds: 6 } } });
    const inv = rate(
      [ev({ channel: 'voice', type: 'call', callId: 'c', service: 'sip-trunk', to: '+33100000000', answered: true, durationSeconds: 61, at: at(3) })],
      plan,
    );
    expect(lineOf(inv.lines, 'Voice minutes')[0]).toMatchObject({ quantity: '1.1', amount: '0.66' }); // 66 s
  });

  it('recording licences: peak concurrent recorded calls, capped at the Recording Limit', () => {
    const rec = (i: number, start: string, d: number) =>
      ev({
        channel: 'voice',
        type: 'call',
        callId: `r${i}`,
        service: 'forwarding',
        to: '+33100000000',
        answered: true,
        durationSeconds: d,
        recorded: true,
        at: start,
      });
    const three = [rec(1, at(3, 10), 600), rec(2, at(3, 10, 5), 600), rec(3, at(3, 10, 9), 60), rec(4, at(3, 10, 20), 60)];
    expect(q(rate(three), 'Recording licences')).toEqual([['3', '24.00']]);
    const plan = { ...FULL_PLAN, recording: { ...FULL_PLAN.recording, limit: 2 } };
    expect(q(rate(three, plan), 'Recording licences')).toEqual([['2', '16.00']]);
  });

  it('numbers: activation when provisioned, monthly fee for each number held at any time of the month', () => {
    const inv = rate([
      ev({ channel: 'numbers', type: 'provisioned', number: '+33100000001', numberType: 'long', at: '2026-01-10T00:00:00Z' }),
      ev({ channel: 'numbers', type: 'provisioned', number: '+33100000002', numberType: 'long', at: at(20) }),
      ev({ channel: 'numbers', type: 'provisioned', number: '36000', numberType: 'short', at: '2026-02-01T00:00:00Z' }),
      ev({ channel: 'numbers', type: 'released', number: '36000', at: '2026-09-30T21:00:00Z' }), // released before October (Paris)
      ev({ channel: 'numbers', type: 'provisioned', number: '+33900000000', numberType: 'voice', at: '2026-05-01T00:00:00Z' }),
      ev({ channel: 'numbers', type: 'released', number: '+33900000000', at: at(2) }),
    ]);
    expect(inv.lines.filter((l) => l.channel === 'numbers').map((l) => [l.description, l.quantity, l.amount])).toEqual([
      ['Activation fee, long number', '1', '10.00'],
      ['Monthly fee, long number', '2', '10.00'],
      ['Monthly fee, voice number (incl. missed-call numbers)', '1', '3.00'],
    ]);
  });

  it('Viber: sessions of 24 h up to 60 session messages inside the CSW; other types at the regular rate; CMM true-up per active sender', () => {
    const msg = (sender: string, to: string, messageType: 'session' | 'promotional', when: string, delivered = true) =>
      ev({ channel: 'viber', type: 'message', sender, to, messageType, delivered, at: when });
    const sessionMsgs = Array.from({ length: 62 }, (_, i) =>
      msg('brand', 'u1', 'session', `2026-10-05T11:${String(i % 60).padStart(2, '0')}:${i < 60 ? '00' : '30'}Z`),
    );
    const inv = rate([
      ev({ channel: 'viber', type: 'mo', sender: 'brand', from: 'u1', at: at(5, 10) }),
      ...sessionMsgs, // 1 session covering 60, 2 over the cap at the regular rate
      msg('brand', 'u1', 'promotional', at(5, 12)), // regular
      msg('brand', 'u2', 'session', at(5, 12)), // no CSW for u2: regular
      msg('brand', 'u2', 'session', at(5, 13), false), // undelivered: nothing
      msg('other', 'u3', 'promotional', at(6)),
    ]);
    expect(inv.lines.filter((l) => l.channel === 'viber').map((l) => [l.description.replace(/ \(sender.*/, ''), l.quantity, l.amount])).toEqual([
      ['Viber messages', '4', '0.10'],
      ['Viber sessions', '1', '0.04'],
      ['Viber minimum monthly consumption top-up', '1', '99.86'], // 100 − (4 × 0.025 + 0.04)
      ['Viber messages', '1', '0.03'],
      ['Viber minimum monthly consumption top-up', '1', '99.98'], // 100 − 0.025 → 99.975 → half-up
    ]);
  });

  it('Viber CMM: a sender above the minimum pays only its delivered traffic', () => {
    const plan = planWith({ viber: { message: '1.00', session: '1.00', minimumMonthlyPerSender: '5.00' } });
    const events = Array.from({ length: 7 }, (_, i) =>
      ev({ channel: 'viber', type: 'message', sender: 'b', to: `u${i}`, messageType: 'promotional', delivered: true, at: at(5) }),
    );
    const inv = rate(events, plan);
    expect(inv.total).toBe('7.00');
    expect(rate(events.slice(0, 3), plan).total).toBe('5.00');
  });

  it('Viber Bot: only messages delivered outside the 24 h CSW are billed', () => {
    const inv = rate([
      ev({ channel: 'viber-bot', type: 'message', bot: 'b', to: 'u1', delivered: true, at: at(5, 8) }), // no CSW: billed
      ev({ channel: 'viber-bot', type: 'mo', bot: 'b', from: 'u1', at: at(5, 9) }),
      ev({ channel: 'viber-bot', type: 'message', bot: 'b', to: 'u1', delivered: true, at: at(5, 10) }), // inside: free
      ev({ channel: 'viber-bot', type: 'message', bot: 'b', to: 'u1', delivered: true, at: at(6, 9) }), // exactly 24 h: outside, billed
      ev({ channel: 'viber-bot', type: 'message', bot: 'b', to: 'u1', delivered: false, at: at(7) }),
    ]);
    expect(q(inv, 'Viber Bot')).toEqual([['2', '0.02']]);
  });

  it('Answers: sessions start with an inbound message and close after the timeout, on completion or transfer', () => {
    const m = (userId: string, direction: 'in' | 'out', when: string) =>
      ev({ channel: 'answers', type: 'message', bot: 'bot', userId, direction, at: when });
    const inv = rate([
      m('u1', 'in', at(5, 10, 0)), // session 1
      m('u1', 'out', at(5, 10, 1)),
      m('u1', 'in', at(5, 10, 30)), // 29 min gap < 30: same session
      m('u1', 'in', at(5, 11, 0)), // 30 min gap: timeout → session 2
      ev({ channel: 'answers', type: 'session-end', bot: 'bot', userId: 'u1', reason: 'transferred', at: at(5, 11, 1) }),
      m('u1', 'in', at(5, 11, 2)), // session 3
      m('u2', 'out', at(5, 12)), // bot-initiated: no session
    ]);
    expect(lineOf(inv.lines, 'Monthly Active Sessions')[0]!.description).toContain('(3 sessions, 2000 included)');
  });

  it('Conversations API counts conversations with a message in the month; Moments counts engaged persons once', () => {
    const inv = rate([
      ev({ channel: 'conversations-api', type: 'message', conversationId: 'c1', direction: 'in', at: at(1) }),
      ev({ channel: 'conversations-api', type: 'message', conversationId: 'c1', direction: 'out', at: at(2) }),
      ev({ channel: 'conversations-api', type: 'message', conversationId: 'c2', direction: 'out', at: at(2) }),
      ev({ channel: 'conversations-api', type: 'message', conversationId: 'c3', direction: 'out', at: '2026-09-29T00:00:00Z' }),
      ev({ channel: 'moments', type: 'flow-message', personId: 'p1', at: at(1) }),
      ev({ channel: 'moments', type: 'flow-inbound', personId: 'p1', at: at(2) }),
      ev({ channel: 'moments', type: 'flow-inbound', personId: 'p2', at: at(2) }),
    ]);
    expect(lineOf(inv.lines, 'Monthly Active Conversations')[0]!.description).toContain('(2 conversations,');
    expect(lineOf(inv.lines, 'Monthly Engaged Persons')[0]!.description).toContain('(2 persons,');
  });

  it('SaaS overage: units above the package at the overage price', () => {
    const plan = planWith({ moments: { package: { fee: '10.00', included: 2, overage: '0.50' } } });
    const events = ['a', 'b', 'c', 'd', 'e'].map((p) => ev({ channel: 'moments', type: 'flow-message', personId: p, at: at(3) }));
    expect(rate(events, plan).lines.map((l) => [l.quantity, l.amount])).toEqual([
      ['1', '10.00'],
      ['3', '1.50'],
    ]);
  });

  it('active users of Messenger/Telegram/Google BM/Apple BC: distinct users with a notification received', () => {
    const inv = rate([
      ev({ channel: 'messenger', type: 'notification', to: 'psid-1', delivered: true, at: at(1) }),
      ev({ channel: 'messenger', type: 'notification', to: 'psid-1', delivered: true, at: at(9) }),
      ev({ channel: 'messenger', type: 'notification', to: 'psid-2', delivered: false, at: at(9) }),
      ev({ channel: 'telegram', type: 'notification', to: 't1', delivered: true, at: at(9) }),
      ev({ channel: 'google-bm', type: 'notification', to: 'g1', delivered: true, at: at(9) }),
      ev({ channel: 'apple-bc', type: 'notification', to: 'a1', delivered: true, at: at(9) }),
    ]);
    expect(inv.lines.filter((l) => l.unit === 'active user').map((l) => [l.channel, l.quantity])).toEqual([
      ['messenger', '1'],
      ['telegram', '1'],
      ['google-bm', '1'],
      ['apple-bc', '1'],
    ]);
  });

  it('Kakao, USSD, push, Number Lookup, BYOC setup', () => {
    const inv = rate([
      ev({ channel: 'kakao', type: 'notification-talk', to: 'k1', delivered: true, at: at(1) }),
      ev({ channel: 'kakao', type: 'notification-talk', to: 'k1', delivered: false, at: at(1) }),
      ev({ channel: 'kakao', type: 'friends-talk', to: 'k1', delivered: true, at: at(1) }),
      ev({ channel: 'kakao', type: 'consultation-session', from: 'k1', at: at(1) }),
      ev({ channel: 'ussd', type: 'session', msisdn: '+33612345678', initiatedBy: 'client', at: at(1) }),
      ev({ channel: 'ussd', type: 'session', msisdn: '+33612345678', initiatedBy: 'third-party', at: at(1) }),
      ev({ channel: 'ussd', type: 'session', msisdn: '+33612345678', initiatedBy: 'end-user', at: at(1) }),
      ev({ channel: 'push', type: 'notification', to: 'device-1', at: at(1) }),
      ev({ channel: 'push', type: 'notification', to: 'device-1', at: at(1), rejected: true }),
      ev({ channel: 'number-lookup', type: 'lookup', msisdn: '+33612345678', at: at(1) }),
      ev({ channel: 'byoc', type: 'setup', at: at(1) }),
    ]);
    expect(inv.lines.filter((l) => l.product === 'channels').map((l) => [l.channel, l.quantity, l.amount])).toEqual([
      ['number-lookup', '1', '0.00'],
      ['ussd', '2', '0.04'],
      ['push', '1', '0.00'],
      ['kakao', '1', '0.01'],
      ['kakao', '1', '0.02'],
      ['kakao', '1', '0.03'],
      ['byoc', '1', '250.00'],
    ]);
  });

  it('WhatsApp sender monthly fees: cloud and platform-hosted senders registered at any time of the month', () => {
    const inv = rate([
      ev({ channel: 'whatsapp', type: 'sender-registered', sender: 'A', hosting: 'cloud', at: '2026-03-01T00:00:00Z' }),
      ev({ channel: 'whatsapp', type: 'sender-registered', sender: 'B', hosting: 'hosted', at: at(30) }),
      ev({ channel: 'whatsapp', type: 'sender-registered', sender: 'C', hosting: 'cloud', at: '2026-03-01T00:00:00Z' }),
      ev({ channel: 'whatsapp', type: 'sender-removed', sender: 'C', at: '2026-08-01T00:00:00Z' }),
    ]);
    expect(q(inv, 'cloud-hosted sender')).toEqual([['1', '10.00']]);
    expect(q(inv, 'on-premise')).toEqual([['1', '100.00']]);
  });

  it('events the plan cannot price are reported as unrated, with examples', () => {
    const inv = rate([ev({ id: 'x1', channel: 'sms', type: 'mo', from: '+33612345678', at: at(1) })], planWith({}));
    expect(inv.lines).toEqual([]);
    expect(inv.unrated).toEqual([{ channel: 'sms', type: 'mo', reason: 'the plan has no price for this event', count: 1, examples: ['x1'] }]);
  });
});
