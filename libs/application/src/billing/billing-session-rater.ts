import { Inject, Injectable } from '@nestjs/common';
import { RatingError, rateDataSession } from '@simfleet/billing';
import type { SessionRating } from '@simfleet/domain';
import { SessionRater, type RatedFacts } from '../telemetry/session-rater.js';
import { PricePlansService } from './price-plans.service.js';

/**
 * Rates each data session with the billing library, by the zone of the visited network, with the plan
 * in force for the account when the session started. The plan comes from the in-memory plan cache:
 * rating stays synchronous, with no database call per record.
 */
@Injectable()
export class BillingSessionRater extends SessionRater {
  constructor(@Inject(PricePlansService) private readonly plans: PricePlansService) {
    super();
  }

  rate(session: RatedFacts): SessionRating | null {
    const plan = this.plans.planAt(session.accountId, session.startedAt);
    if (!plan.things) return null;
    try {
      const rated = rateDataSession(plan, { bytesUp: session.bytesUp, bytesDown: session.bytesDown, mcc: session.mcc, mnc: session.mnc });
      return { zone: rated.zone, amount: rated.amount.toString(), currency: plan.currency };
    } catch (error) {
      // A network outside every zone stays unrated in the ledger; the invoice reports it as unrated usage.
      if (error instanceof RatingError && error.code === 'UNKNOWN_ZONE') return null;
      throw error;
    }
  }
}
