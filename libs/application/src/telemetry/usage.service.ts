import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@simfleet/domain';
import { SimRepository } from '@simfleet/persistence';
import { TelemetryStore, type UsageBucket, type UsageInterval } from '@simfleet/telemetry';

const MAX_BUCKETS = 10_000;
const INTERVAL_MS: Record<UsageInterval, number> = { hour: 3_600_000, day: 86_400_000, month: 28 * 86_400_000 };

@Injectable()
export class UsageService {
  constructor(
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(TelemetryStore) private readonly store: TelemetryStore,
  ) {}

  /** A SIM's data usage in event time, bucketed by hour, day or month (UTC), over [from, to). */
  async simUsage(accountId: string, ref: string, from: Date, to: Date, interval: UsageInterval) {
    if (to <= from) throw DomainError.validation('`to` must be after `from`', [{ field: 'to', message: 'must be after from' }]);
    if ((to.getTime() - from.getTime()) / INTERVAL_MS[interval] > MAX_BUCKETS) {
      throw DomainError.validation(`the range holds more than ${MAX_BUCKETS} ${interval} buckets: use a wider interval`, [
        { field: 'interval', message: 'too many buckets for this range' },
      ]);
    }
    const sim = await this.sims.findByRef(accountId, ref);
    if (!sim) throw DomainError.notFound('SIM', ref);
    const buckets: UsageBucket[] = await this.store.usage({ accountId, iccid: sim.iccid, from, to, interval });
    const totals = buckets.reduce(
      (t, b) => ({
        bytesUp: t.bytesUp + b.bytesUp,
        bytesDown: t.bytesDown + b.bytesDown,
        bytesTotal: t.bytesTotal + b.bytesTotal,
        sessions: t.sessions + b.sessions,
      }),
      { bytesUp: 0, bytesDown: 0, bytesTotal: 0, sessions: 0 },
    );
    return { iccid: sim.iccid, from, to, interval, buckets, totals };
  }
}
