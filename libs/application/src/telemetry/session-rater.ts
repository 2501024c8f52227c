import type { DataSession, SessionRating } from '@simfleet/domain';

/** What rating reads of a data session: whose it is, when it started (the plan in force), its counters and network. */
export type RatedFacts = Pick<DataSession, 'accountId' | 'startedAt' | 'bytesUp' | 'bytesDown' | 'mcc' | 'mnc'>;

/** Prices a data session by the zone of the visited network (the billing library behind a port). */
export abstract class SessionRater {
  abstract rate(session: RatedFacts): SessionRating | null;
}
