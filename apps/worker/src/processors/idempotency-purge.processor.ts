import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Clock } from '@simfleet/domain';
import { IdempotencyRepository } from '@simfleet/persistence';
import { JobProcessor, type JobProcessorHandler, JobQueue } from '@simfleet/queue';

/** How often expired Idempotency-Key responses are deleted (a replay past its window is refused anyway: the claim ignores expired rows). */
export const IDEMPOTENCY_PURGE_EVERY_MS = 10 * 60_000;

/** Purges stored Idempotency-Key responses once their replay window (IDEMPOTENCY_KEY_TTL) has passed. */
@Injectable()
@JobProcessor('idempotency.purge')
export class IdempotencyPurgeProcessor implements JobProcessorHandler<'idempotency.purge'>, OnApplicationBootstrap {
  private readonly logger = new Logger('Idempotency');

  constructor(
    @Inject(IdempotencyRepository) private readonly store: IdempotencyRepository,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.schedule('idempotency.purge', IDEMPOTENCY_PURGE_EVERY_MS, {});
  }

  async handle(): Promise<void> {
    const purged = await this.store.purgeExpired(this.clock.now());
    if (purged) this.logger.log(`purged ${purged} expired Idempotency-Key response(s)`);
  }
}
