/**
 * The per-device message rate limit (MQTT_MAX_MESSAGES_PER_SECOND): a token bucket of `perSecond` tokens,
 * refilled continuously, so bursts up to the rate pass. Resends are not counted against it: after a
 * reconnect a device sends again what was not acknowledged, all at once, and refusing those as
 * `rate_limited` made devices drop records (they were refused unnoticed during reconnect bursts).
 * A resend is a QoS 1/2 retransmission (DUP set), up to `resendAllowance` per connection so that DUP
 * cannot be used to bypass the limit, or a message whose records the broker already accepted (see
 * SessionRecordMemory), which adds nothing.
 */
export class MessageRate {
  private tokens: number;
  private refilledAt: number;
  private resends = 0;

  constructor(
    private readonly perSecond: number,
    now: number,
    private readonly resendAllowance = perSecond * 10,
  ) {
    this.tokens = perSecond;
    this.refilledAt = now;
  }

  /** Whether this message may pass now; a counted message takes a token. */
  admit(now: number, kind: 'new' | 'retransmission' | 'known-records'): boolean {
    if (kind === 'known-records') return true;
    if (kind === 'retransmission' && this.resends < this.resendAllowance) {
      this.resends += 1;
      return true;
    }
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface SeenSession {
  bytesUp: number;
  bytesDown: number;
  ended: boolean;
}

export interface SessionCounters {
  sessionId: string;
  bytesUp: number;
  bytesDown: number;
  endedAt?: string | null;
}

/**
 * The session records each SIM's device had accepted by this broker lately (counters are cumulative, so
 * a record that is not ahead of one already accepted carries nothing new). Bounded: the last
 * `perSim` sessions of each SIM, the `sims` SIMs seen last.
 */
export class SessionRecordMemory {
  private readonly bySim = new Map<string, Map<string, SeenSession>>();

  constructor(
    private readonly perSim = 32,
    private readonly sims = 100_000,
  ) {}

  /** Every record already accepted, with counters not ahead of what was accepted (and not newly ended). */
  alreadyAccepted(iccid: string, records: SessionCounters[]): boolean {
    const seen = this.bySim.get(iccid);
    if (!seen || !records.length) return false;
    return records.every((r) => {
      const known = seen.get(r.sessionId);
      return known !== undefined && r.bytesUp <= known.bytesUp && r.bytesDown <= known.bytesDown && (known.ended || !r.endedAt);
    });
  }

  remember(iccid: string, records: SessionCounters[]): void {
    let seen = this.bySim.get(iccid);
    if (seen)
      this.bySim.delete(iccid); // re-inserted last: the map's order is least recently used first
    else seen = new Map();
    this.bySim.set(iccid, seen);
    for (const r of records) {
      const known = seen.get(r.sessionId);
      seen.delete(r.sessionId);
      seen.set(r.sessionId, {
        bytesUp: Math.max(r.bytesUp, known?.bytesUp ?? 0),
        bytesDown: Math.max(r.bytesDown, known?.bytesDown ?? 0),
        ended: Boolean(r.endedAt) || (known?.ended ?? false),
      });
      if (seen.size > this.perSim) seen.delete(seen.keys().next().value!);
    }
    if (this.bySim.size > this.sims) this.bySim.delete(this.bySim.keys().next().value!);
  }
}
