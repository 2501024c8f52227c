import type { BillableEvent } from '../events.js';
import type { PricePlan } from '../plan.js';
import { DEFAULT_PLAN } from '../plans/default-plan.js';
import { fixedClock } from '../time.js';

/** Test helpers: a plan with every product priced, a fixed clock, and an event factory. */
export const FULL_PLAN: PricePlan = {
  ...DEFAULT_PLAN,
  id: 'full-test',
  name: 'Full test plan',
  conversations: { package: { fee: '310.00', included: 10, overage: '31.00' } },
  conversationsApi: { package: { fee: '100.00', included: 1000, overage: '0.05' } },
  moments: { package: { fee: '200.00', included: 5000, overage: '0.02' } },
  answers: { package: { fee: '150.00', included: 2000, overage: '0.04' }, sessionTimeoutMinutes: 30 },
  signals: {
    interactions: {
      mode: 'graduated',
      tiers: [
        { from: '0', upTo: '500000', unitPrice: '0.0010' },
        { from: '500000', upTo: '2000000', unitPrice: '0.0007' },
        { from: '2000000', upTo: null, unitPrice: '0.0004' },
      ],
    },
    channels: ['sms', 'mms', 'rcs', 'voice'],
  },
};

/** A plan with only one channel priced, for focused tests. */
export function planWith(extra: Partial<PricePlan>): PricePlan {
  return { id: 'focused', name: 'Focused', currency: 'EUR', timeZone: 'Europe/Paris', ...extra };
}

export const CLOCK = fixedClock('2026-11-05T09:00:00Z');

let seq = 0;
/** Builds a raw event with a unique id unless one is given. */
export function ev<E extends Partial<BillableEvent> & { channel: string; type: string; at: string }>(e: E): E & { id: string } {
  seq++;
  return { id: `ev-${String(seq).padStart(6, '0')}`, ...e };
}

export function lineOf<L extends { description: string }>(lines: ReadonlyArray<L>, text: string): L[] {
  return lines.filter((l) => l.description.includes(text));
}
