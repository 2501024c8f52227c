/** A data session as the rating sees it: the final (or latest) cumulative counters and the visited network. */
export interface RatableSession {
  iccid: string;
  sessionId: string;
  startedAt: Date;
  bytesUp: number;
  bytesDown: number;
  mcc: string;
  mnc: string;
  country: string | null;
}

export interface SessionRating {
  zone: string;
  /** Decimal string, unrounded; the invoice line rounds once. */
  amount: string;
  currency: string;
}

/** Prices a data session by the zone of the visited network (the billing library behind a port). */
export abstract class SessionRater {
  abstract rate(accountId: string, session: RatableSession): SessionRating | null;
}
