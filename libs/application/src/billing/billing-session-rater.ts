import { Injectable } from '@nestjs/common';
import { DEFAULT_PLAN, RatingError, rateDataSession, type PricePlan } from '../../../billing/src/index.js';
import { SessionRater, type RatableSession, type SessionRating } from '../telemetry/session-rater.js';

/**
 * Rates each data session with the billing library, by the zone of the visited network. Every account
 * is on the default plan until price plans can be assigned per account.
 */
@Injectable()
export class BillingSessionRater extends SessionRater {
  private readonly plan: PricePlan = DEFAULT_PLAN;

  rate(_accountId: string, session: RatableSession): SessionRating | null {
    try {
      const rated = rateDataSession(this.plan, { ...session, startedAt: session.startedAt.toISOString() });
      return { zone: rated.zone, amount: rated.amount.toString(), currency: this.plan.currency };
    } catch (error) {
      // A network outside every zone stays unrated in the ledger; the invoice reports it as unrated usage.
      if (error instanceof RatingError && error.code === 'UNKNOWN_ZONE') return null;
      throw error;
    }
  }
}
