import { D, ZERO } from './decimal.js';
import { eventsOf, inPeriod, pick, type RatingContext } from './context.js';
import { billableSeconds } from './increments.js';
import { maxConcurrent, overlaps, startedPeriodsIn, type Interval } from './intervals.js';
import { rateItems, type CountItem, type LineMeta } from './lines.js';
import type { ActiveUserChannel, NumberKind } from './plan.js';
import { DAY_MS } from './time.js';
import { viberBotBillable, viberSessions, whatsappConversations } from './windows.js';

const channelMeta = (channel: string, description: string, unit: string, divisor?: number): LineMeta => ({
  product: 'channels',
  channel,
  description,
  unit,
  divisor,
});

function sorted(values: Iterable<string>): string[] {
  return [...values].sort();
}

/** SMS, MMS, RCS: MT on successful submission (SMS per segment), MO on acceptance. */
export function rateMessaging(ctx: RatingContext, channel: 'sms' | 'mms' | 'rcs', label: string): void {
  const rates = ctx.plan[channel];
  const mt: CountItem[] = pick(ctx, channel, ['mt'], true).map(({ e }) => ({ n: e.channel === 'sms' ? (e.segments ?? 1) : 1, key: e.to, ref: e.id }));
  if (channel === 'sms') mt.push(...ctx.thingsSmsMt);
  rateItems(ctx.sink, channelMeta(channel, `${label} MT`, channel === 'sms' ? 'segment' : 'message'), rates?.mt, mt, 'mt');
  const mo: CountItem[] = pick(ctx, channel, ['mo'], true).map(({ e }) => ({ n: 1, key: e.from, ref: e.id }));
  rateItems(ctx.sink, channelMeta(channel, `${label} MO`, 'message'), rates?.mo, mo, 'mo');
}

export function rateNumberLookup(ctx: RatingContext): void {
  const items = pick(ctx, 'number-lookup', ['lookup'], true).map(({ e }) => ({ n: 1, key: e.msisdn, ref: e.id }));
  rateItems(ctx.sink, channelMeta('number-lookup', 'Number Lookup requests', 'request'), ctx.plan.numberLookup?.lookup, items, 'lookup');
}

const NUMBER_LABEL: Record<NumberKind, string> = { long: 'long number', short: 'short code', 'toll-free': 'toll-free number', voice: 'voice number' };

/** Numbers: activation fee when provisioned in the period; monthly fee for each number held at any time in the month. */
export function rateNumbers(ctx: RatingContext): void {
  const held = new Map<string, { kind: NumberKind; intervals: Interval[] }>();
  const activations = new Map<NumberKind, string[]>();
  for (const { t, e } of eventsOf(ctx, 'numbers')) {
    if (e.type === 'provisioned') {
      const h = held.get(e.number) ?? { kind: e.numberType, intervals: [] };
      h.kind = e.numberType;
      const last = h.intervals[h.intervals.length - 1];
      if (!last || last.to !== Number.POSITIVE_INFINITY) h.intervals.push({ from: t, to: Number.POSITIVE_INFINITY });
      held.set(e.number, h);
      if (inPeriod(ctx, t)) activations.set(e.numberType, [...(activations.get(e.numberType) ?? []), e.id]);
    } else {
      const last = held.get(e.number)?.intervals.at(-1);
      if (last && last.to === Number.POSITIVE_INFINITY) last.to = t;
    }
  }
  const rental = new Map<NumberKind, string[]>();
  for (const number of sorted(held.keys())) {
    const h = held.get(number)!;
    if (h.intervals.some((i) => overlaps(i, ctx.period.start, ctx.period.end))) rental.set(h.kind, [...(rental.get(h.kind) ?? []), number]);
  }
  for (const kind of ['long', 'short', 'toll-free', 'voice'] as const) {
    const fees = ctx.plan.numbers?.[kind];
    const acts = activations.get(kind) ?? [];
    if (acts.length) {
      if (fees?.activationFee === undefined)
        acts.forEach((id) => ctx.sink.unrate('numbers', 'provisioned', `no activation fee for ${NUMBER_LABEL[kind]}`, id));
      else
        ctx.sink.charge(
          { product: 'channels', channel: 'numbers', description: `Activation fee, ${NUMBER_LABEL[kind]}`, unit: 'number' },
          new D(acts.length),
          fees.activationFee,
        );
    }
    const rented = rental.get(kind) ?? [];
    if (rented.length) {
      const description = kind === 'voice' ? 'Monthly fee, voice number (incl. missed-call numbers)' : `Monthly fee, ${NUMBER_LABEL[kind]}`;
      if (fees?.monthlyFee === undefined) rented.forEach((n) => ctx.sink.unrate('numbers', 'rental', `no monthly fee for ${NUMBER_LABEL[kind]}`, n));
      else ctx.sink.charge({ product: 'channels', channel: 'numbers', description, unit: 'number' }, new D(rented.length), fees.monthlyFee);
    }
  }
}

/** E-mail: every successful submission, and every e-mail to a suppressed address (not submitted, still charged). */
export function rateEmail(ctx: RatingContext): void {
  const items = pick(ctx, 'email', ['submitted', 'suppressed'], true).map(({ e }) => ({ n: 1, ref: e.id }));
  rateItems(ctx.sink, channelMeta('email', 'E-mails (submitted or to a suppressed address)', 'e-mail'), ctx.plan.email?.message, items, 'submitted');
  const v = pick(ctx, 'email-validation', ['request'], true).map(({ e }) => ({ n: 1, ref: e.id }));
  rateItems(ctx.sink, channelMeta('email-validation', 'E-mail validation requests', 'request'), ctx.plan.emailValidation?.request, v, 'request');
}

/**
 * Viber business messages: delivered messages at the regular rate, sessions at the session rate;
 * per sender, a minimum monthly consumption (CMM) adds a true-up line when the sender's traffic
 * is below it (charge = max(CMM, traffic)).
 */
export function rateViber(ctx: RatingContext): void {
  const plan = ctx.plan.viber;
  const all = eventsOf(ctx, 'viber');
  const { regular, sessions } = viberSessions(all, plan?.sessionMaxMessages ?? 60);
  const bySender = new Map<string, { regular: CountItem[]; sessions: CountItem[] }>();
  const slot = (s: string) => bySender.get(s) ?? bySender.set(s, { regular: [], sessions: [] }).get(s)!;
  // Active sender = at least one delivered message in the month, even if a session carried over covered it.
  for (const { t, e } of all) if (e.type === 'message' && e.delivered && inPeriod(ctx, t)) slot(e.sender);
  for (const { t, e } of regular) if (inPeriod(ctx, t)) slot(e.sender).regular.push({ n: 1, key: e.to, ref: e.id });
  for (const s of sessions) if (inPeriod(ctx, s.openedAt)) slot(s.sender).sessions.push({ n: 1, key: s.user, ref: s.ref });
  for (const sender of sorted(bySender.keys())) {
    const g = bySender.get(sender)!;
    const firstLine = ctx.sink.lines.length;
    rateItems(ctx.sink, channelMeta('viber', `Viber messages (sender ${sender})`, 'message'), plan?.message, g.regular, 'message');
    rateItems(ctx.sink, channelMeta('viber', `Viber sessions (sender ${sender})`, 'session'), plan?.session, g.sessions, 'session');
    const minimum = plan?.minimumMonthlyPerSender;
    if (minimum === undefined) continue;
    // The sender's traffic, unrounded, as just rated: charge = max(CMM, traffic).
    const traffic = ctx.sink.lines.slice(firstLine).reduce((acc, l) => acc.plus(l.amount), ZERO);
    const topUp = new D(minimum).minus(traffic);
    if (topUp.gt(0)) {
      ctx.sink.add({
        product: 'channels',
        channel: 'viber',
        description: `Viber minimum monthly consumption top-up (sender ${sender}: minimum ${minimum}, traffic ${traffic.toFixed()})`,
        quantity: new D(1),
        unit: 'sender',
        unitPrice: topUp,
        amount: topUp,
      });
    }
  }
}

export function rateViberBot(ctx: RatingContext): void {
  const billable = viberBotBillable(eventsOf(ctx, 'viber-bot')).filter(({ t }) => inPeriod(ctx, t));
  rateItems(
    ctx.sink,
    channelMeta('viber-bot', 'Viber Bot messages delivered outside the CSW', 'message'),
    ctx.plan.viberBot?.message,
    billable.map(({ e }) => ({ n: 1, key: e.to, ref: e.id })),
    'message',
  );
}

const WA_LABEL = { utility: 'utility', authentication: 'authentication', marketing: 'marketing', service: 'service' } as const;

/** WhatsApp: conversations per category (24 h windows), plus monthly sender fees. */
export function rateWhatsApp(ctx: RatingContext): void {
  const wa = ctx.plan.whatsapp;
  const messages = eventsOf(ctx, 'whatsapp').filter((x) => x.e.type === 'mo' || x.e.type === 'template' || x.e.type === 'free-form');
  const { opened, outsideCsw } = whatsappConversations(messages as Parameters<typeof whatsappConversations>[0]);
  for (const category of ['utility', 'authentication', 'marketing', 'service'] as const) {
    const items = opened.filter((o) => o.kind === category && inPeriod(ctx, o.openedAt)).map((o) => ({ n: 1, key: o.user, ref: o.ref }));
    rateItems(
      ctx.sink,
      channelMeta('whatsapp', `WhatsApp ${WA_LABEL[category]} conversations`, 'conversation'),
      wa?.conversation[category],
      items,
      category,
    );
  }
  for (const { t, e } of outsideCsw)
    if (inPeriod(ctx, t))
      ctx.sink.unrate('whatsapp', 'free-form', 'free-form message outside the customer service window (not deliverable, not charged)', e.id);

  const senders = new Map<string, { hosting: 'cloud' | 'hosted'; intervals: Interval[] }>();
  for (const { t, e } of eventsOf(ctx, 'whatsapp')) {
    if (e.type === 'sender-registered') {
      const s = senders.get(e.sender) ?? { hosting: e.hosting, intervals: [] };
      s.hosting = e.hosting;
      if (s.intervals.at(-1)?.to !== Number.POSITIVE_INFINITY) s.intervals.push({ from: t, to: Number.POSITIVE_INFINITY });
      senders.set(e.sender, s);
    } else if (e.type === 'sender-removed') {
      const last = senders.get(e.sender)?.intervals.at(-1);
      if (last && last.to === Number.POSITIVE_INFINITY) last.to = t;
    }
  }
  for (const hosting of ['cloud', 'hosted'] as const) {
    const count = sorted(senders.keys()).filter((s) => {
      const x = senders.get(s)!;
      return x.hosting === hosting && x.intervals.some((i) => overlaps(i, ctx.period.start, ctx.period.end));
    }).length;
    if (!count) continue;
    const fee = wa?.senderMonthlyFee?.[hosting];
    const label = hosting === 'cloud' ? 'WhatsApp cloud-hosted sender, monthly fee' : 'WhatsApp platform-hosted (on-premise) sender, monthly fee';
    if (fee === undefined) ctx.sink.unrate('whatsapp', 'sender', `no monthly fee for ${hosting} senders`, hosting, count);
    else ctx.sink.charge({ product: 'channels', channel: 'whatsapp', description: label, unit: 'sender' }, new D(count), fee);
  }
}

export function rateUssd(ctx: RatingContext): void {
  const billUser = ctx.plan.ussd?.billUserInitiated ?? false;
  const items = pick(ctx, 'ussd', ['session'], true)
    .filter(({ e }) => e.initiatedBy !== 'end-user' || billUser)
    .map(({ e }) => ({ n: 1, key: e.msisdn, ref: e.id }));
  rateItems(ctx.sink, channelMeta('ussd', 'USSD sessions', 'session'), ctx.plan.ussd?.session, items, 'session');
}

export function ratePush(ctx: RatingContext): void {
  const items = pick(ctx, 'push', ['notification'], true).map(({ e }) => ({ n: 1, ref: e.id }));
  rateItems(ctx.sink, channelMeta('push', 'Push notifications submitted', 'notification'), ctx.plan.push?.notification, items, 'notification');
}

const ACTIVE_USER_LABEL: Record<ActiveUserChannel, string> = {
  messenger: 'Messenger',
  telegram: 'Telegram',
  'google-bm': 'Google Business Messages',
  'apple-bc': 'Apple Business Chat',
};

/** Messenger, Telegram, Google BM, Apple BC: each end user with at least one notification received in the month. */
export function rateActiveUsers(ctx: RatingContext): void {
  for (const channel of ['messenger', 'telegram', 'google-bm', 'apple-bc'] as const) {
    const users = new Map<string, string>();
    for (const { t, e } of eventsOf(ctx, channel)) if (e.delivered && inPeriod(ctx, t) && !users.has(e.to)) users.set(e.to, e.id);
    const items = sorted(users.keys()).map((u) => ({ n: 1, ref: users.get(u)! }));
    rateItems(
      ctx.sink,
      channelMeta(channel, `${ACTIVE_USER_LABEL[channel]} active users`, 'active user'),
      ctx.plan.activeUsers?.[channel],
      items,
      'active-user',
    );
  }
}

export function rateKakao(ctx: RatingContext): void {
  const k = ctx.plan.kakao;
  const delivered = (type: 'notification-talk' | 'friends-talk') =>
    pick(ctx, 'kakao', [type], true)
      .filter(({ e }) => 'delivered' in e && e.delivered)
      .map(({ e }) => ({ n: 1, ref: e.id }));
  rateItems(
    ctx.sink,
    channelMeta('kakao', 'Kakao Notification Talk messages delivered', 'message'),
    k?.notificationTalk,
    delivered('notification-talk'),
    'notification-talk',
  );
  rateItems(
    ctx.sink,
    channelMeta('kakao', 'Kakao Friends Talk messages delivered', 'message'),
    k?.friendsTalk,
    delivered('friends-talk'),
    'friends-talk',
  );
  const sessions = pick(ctx, 'kakao', ['consultation-session'], true).map(({ e }) => ({ n: 1, ref: e.id }));
  rateItems(ctx.sink, channelMeta('kakao', 'Kakao Consultation Talk sessions', 'session'), k?.consultationSession, sessions, 'consultation-session');
}

/**
 * Voice: each started increment (default 60/60 s) of every established, answered call leg, by
 * destination — an answered call of 0 s included: it has started its first increment; BYOC calls at the
 * BYOC per-minute rate; AMD per request on every answered call (whatever its duration); one
 * recording licence per concurrently recorded call, capped at the Recording Limit.
 */
export function rateVoice(ctx: RatingContext): void {
  const voice = ctx.plan.voice;
  const byoc = ctx.plan.byoc;
  const calls = pick(ctx, 'voice', ['call'], true).filter(({ e }) => e.answered);
  const regular: CountItem[] = [];
  const viaByoc: CountItem[] = [];
  for (const { e } of calls) {
    const inc = e.byoc ? (byoc?.increments ?? voice?.increments) : voice?.increments;
    const n = billableSeconds(e.durationSeconds, inc?.firstSeconds ?? 60, inc?.nextSeconds ?? 60);
    (e.byoc ? viaByoc : regular).push({ n, key: e.to, ref: e.id });
  }
  rateItems(ctx.sink, channelMeta('voice', 'Voice minutes', 'minute', 60), voice?.perMinute, regular, 'call');
  rateItems(ctx.sink, channelMeta('byoc', 'BYOC minutes', 'minute', 60), byoc?.perMinute, viaByoc, 'call');

  const amd = calls.filter(({ e }) => e.amd);
  if (amd.length) {
    if (voice?.amdRequest === undefined) amd.forEach(({ e }) => ctx.sink.unrate('voice', 'amd', 'no price for answering-machine detection', e.id));
    else
      ctx.sink.charge(
        { product: 'channels', channel: 'voice', description: 'Answering-machine detection requests (answered calls)', unit: 'request' },
        new D(amd.length),
        voice.amdRequest,
      );
  }

  const setups = pick(ctx, 'byoc', ['setup'], true);
  if (setups.length) {
    if (byoc?.setupFee === undefined) setups.forEach(({ e }) => ctx.sink.unrate('byoc', 'setup', 'no BYOC setup fee', e.id));
    else ctx.sink.charge({ product: 'channels', channel: 'byoc', description: 'BYOC setup fee', unit: 'setup' }, new D(setups.length), byoc.setupFee);
  }

  const recorded = calls.filter(({ e }) => e.recorded).map(({ t, e }) => ({ from: t, to: t + e.durationSeconds * 1000 }));
  if (recorded.length) {
    const rec = ctx.plan.recording;
    const limit = rec?.limit ?? 10;
    const licences = Math.min(maxConcurrent(recorded, ctx.period.start, ctx.period.end), limit);
    if (rec?.licence === undefined) ctx.sink.unrate('recording', 'licence', 'no recording licence price', 'recorded calls', recorded.length);
    else
      ctx.sink.charge(
        {
          product: 'channels',
          channel: 'recording',
          description: `Recording licences (peak concurrent recorded calls, limit ${limit})`,
          unit: 'licence',
        },
        new D(licences),
        rec.licence,
      );
  }
}

/**
 * Recording storage, per started 24 h period of each stored recording: minutes × days outside
 * Conversations, GB × days within Conversations. Recordings still stored count up to `asOf`.
 */
export function rateRecordingStorage(ctx: RatingContext): void {
  const rec = ctx.plan.recording;
  const stored = new Map<
    string,
    { at: number; id: string; scope: 'conversations' | 'standalone'; sizeBytes?: number; durationSeconds?: number; deletedAt: number }
  >();
  for (const { t, e } of eventsOf(ctx, 'recording')) {
    if (e.type === 'stored')
      stored.set(e.recordingId, {
        at: t,
        id: e.id,
        scope: e.scope,
        sizeBytes: e.sizeBytes,
        durationSeconds: e.durationSeconds,
        deletedAt: Number.POSITIVE_INFINITY,
      });
    else {
      const s = stored.get(e.recordingId);
      if (s) s.deletedAt = Math.min(s.deletedAt, t);
    }
  }
  let minuteDays = ZERO;
  let byteDays = ZERO;
  for (const id of sorted(stored.keys())) {
    const s = stored.get(id)!;
    const days = startedPeriodsIn(s.at, DAY_MS, ctx.period.start, Math.min(s.deletedAt, ctx.period.end, ctx.asOf));
    if (days === 0) continue;
    if (s.scope === 'standalone') {
      if (s.durationSeconds === undefined) ctx.sink.unrate('recording', 'stored', 'standalone recording without durationSeconds', s.id);
      else minuteDays = minuteDays.plus(new D(Math.ceil(s.durationSeconds / 60)).times(days));
    } else if (s.sizeBytes === undefined) ctx.sink.unrate('recording', 'stored', 'Conversations recording without sizeBytes', s.id);
    else byteDays = byteDays.plus(new D(s.sizeBytes).times(days));
  }
  if (!minuteDays.isZero()) {
    if (rec?.storagePerMinuteDay === undefined) ctx.sink.unrate('recording', 'storage', 'no price per minute-day of storage', 'standalone');
    else
      ctx.sink.charge(
        { product: 'channels', channel: 'recording', description: 'Call recording storage (minutes stored × days)', unit: 'minute-day' },
        minuteDays,
        rec.storagePerMinuteDay,
      );
  }
  if (!byteDays.isZero()) {
    if (rec?.conversationsStoragePerGbDay === undefined)
      ctx.sink.unrate('recording', 'storage', 'no price per GB-day of Conversations storage', 'conversations');
    else {
      const gbDays = byteDays.div(rec.bytesPerGb ?? 1_000_000_000);
      ctx.sink.charge(
        { product: 'conversations', channel: 'recording', description: 'Conversations recording storage (GB stored × days)', unit: 'GB-day' },
        gbDays,
        rec.conversationsStoragePerGbDay,
      );
    }
  }
}
