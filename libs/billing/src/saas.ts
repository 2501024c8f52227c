import type { Decimal } from 'decimal.js';
import { D } from './decimal.js';
import { eventsOf, inPeriod, pick, type RatingContext } from './context.js';
import { maxConcurrent, type Interval } from './intervals.js';
import type { Product } from './lines.js';
import type { PackagePrice } from './plan.js';
import { LOCAL_DATE_PATTERN, startOfLocalDay } from './time.js';
import { answersSessions } from './windows.js';

interface Proration {
  days: number;
  daysInMonth: number;
  /** Units present on the start day; units added later are billed at full price. */
  initialUnits: number;
}

/**
 * A SaaS package: the monthly fee (covering `included` units) and each unit above it at the
 * overage price. With a proration (first month of Conversations), the fee and the overage of the
 * units present on the start day are prorated by day; units added afterwards are not.
 */
function emitPackage(
  ctx: RatingContext,
  product: Product,
  label: string,
  unit: string,
  pkg: PackagePrice,
  units: number,
  proration?: Proration,
): void {
  const meta = { product, channel: product };
  const fee = new D(pkg.fee);
  const included = pkg.included;
  const over = Math.max(0, units - included);
  const usage = `${units} ${unit}${units === 1 ? '' : 's'}, ${included} included`;
  if (proration) {
    const factor = new D(proration.days).div(proration.daysInMonth);
    ctx.sink.add({
      ...meta,
      description: `${label} package, first month prorated ${proration.days}/${proration.daysInMonth} days (${usage})`,
      quantity: new D(proration.days),
      unit: 'day',
      unitPrice: fee.div(proration.daysInMonth),
      amount: fee.times(factor),
    });
    const initialOver = Math.min(over, Math.max(0, proration.initialUnits - included));
    if (initialOver > 0) {
      const price: Decimal = new D(pkg.overage).times(factor);
      ctx.sink.add({
        ...meta,
        description: `${label} overage, first month prorated ${proration.days}/${proration.daysInMonth} days`,
        quantity: new D(initialOver),
        unit,
        unitPrice: price,
        amount: price.times(initialOver),
      });
    }
    ctx.sink.charge({ ...meta, description: `${label} overage, added during the month (full price)`, unit }, new D(over - initialOver), pkg.overage);
    return;
  }
  ctx.sink.charge({ ...meta, description: `${label} package (${usage})`, unit: 'month' }, new D(1), fee);
  ctx.sink.charge({ ...meta, description: `${label} overage`, unit }, new D(over), pkg.overage);
}

/**
 * Conversations Full Solution: named users (MAA) at the month's maximum simultaneous count; the
 * month containing the plan's startDate is prorated by day (seats present on that day), seats
 * added later are billed in full. Months before the start date are not billed.
 */
export function rateConversations(ctx: RatingContext): void {
  const c = ctx.plan.conversations;
  const open = new Map<string, number>();
  const intervals: Interval[] = [];
  for (const { t, e } of eventsOf(ctx, 'conversations')) {
    if (e.type === 'user-provisioned') {
      if (!open.has(e.userId)) open.set(e.userId, t);
    } else {
      const from = open.get(e.userId);
      if (from !== undefined) intervals.push({ from, to: t });
      open.delete(e.userId);
    }
  }
  for (const from of open.values()) intervals.push({ from, to: Number.POSITIVE_INFINITY });
  const users = maxConcurrent(intervals, ctx.period.start, ctx.period.end);
  if (!c) {
    if (users > 0) ctx.sink.unrate('conversations', 'user', 'plan has no Conversations package', `${users} users`, users);
    return;
  }
  let proration: Proration | undefined;
  if (c.startDate) {
    const [, y, m, d] = LOCAL_DATE_PATTERN.exec(c.startDate)!.map(Number) as [number, number, number, number];
    if (y * 12 + m > ctx.period.year * 12 + ctx.period.month) return; // not started yet
    if (y === ctx.period.year && m === ctx.period.month) {
      const dayStart = startOfLocalDay(y, m, d, ctx.plan.timeZone);
      const nextDay = d === ctx.period.daysInMonth ? ctx.period.end : startOfLocalDay(y, m, d + 1, ctx.plan.timeZone);
      proration = {
        days: ctx.period.daysInMonth - d + 1,
        daysInMonth: ctx.period.daysInMonth,
        initialUnits: maxConcurrent(intervals, dayStart, nextDay),
      };
    }
  }
  emitPackage(ctx, 'conversations', 'Conversations Full Solution, Monthly Active Agents (named users)', 'user', c.package, users, proration);
}

/** Conversations API: conversations with at least one message (in or out) in the month. */
export function rateConversationsApi(ctx: RatingContext): void {
  const ids = new Set(pick(ctx, 'conversations-api', ['message'], true).map(({ e }) => e.conversationId));
  const pkg = ctx.plan.conversationsApi?.package;
  if (!pkg) {
    if (ids.size) ctx.sink.unrate('conversations-api', 'message', 'plan has no Conversations API package', 'MAC', ids.size);
    return;
  }
  emitPackage(ctx, 'conversations-api', 'Conversations API, Monthly Active Conversations', 'conversation', pkg, ids.size);
}

/** Moments: persons who received a Flow message or took part in a Flow session by an inbound message. */
export function rateMoments(ctx: RatingContext): void {
  const persons = new Set(pick(ctx, 'moments', ['flow-message', 'flow-inbound'], true).map(({ e }) => e.personId));
  const pkg = ctx.plan.moments?.package;
  if (!pkg) {
    if (persons.size) ctx.sink.unrate('moments', 'flow', 'plan has no Moments package', 'MEP', persons.size);
    return;
  }
  emitPackage(ctx, 'moments', 'Moments, Monthly Engaged Persons', 'person', pkg, persons.size);
}

/** Answers: chatbot sessions started in the month (timeout from the plan, at most 24 h). */
export function rateAnswers(ctx: RatingContext): void {
  const a = ctx.plan.answers;
  const timeoutMs = (a?.sessionTimeoutMinutes ?? 24 * 60) * 60_000;
  const sessions = answersSessions(eventsOf(ctx, 'answers'), timeoutMs).filter((s) => inPeriod(ctx, s.openedAt));
  if (!a) {
    if (sessions.length) ctx.sink.unrate('answers', 'session', 'plan has no Answers package', 'MAS', sessions.length);
    return;
  }
  emitPackage(ctx, 'answers', 'Answers, Monthly Active Sessions', 'session', a.package, sessions.length);
}
