import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { IdentityHousekeeping } from '@simfleet/application';
import { JobProcessor, type JobProcessorHandler, JobQueue } from '@simfleet/queue';

const EVERY_HOUR = 3_600_000;

/** Hourly retention of the audit log and forgetting of ended sessions and spent tokens (one run per cluster). */
@Injectable()
@JobProcessor('identity.purge')
export class IdentityPurgeProcessor implements JobProcessorHandler<'identity.purge'>, OnApplicationBootstrap {
  constructor(
    @Inject(IdentityHousekeeping) private readonly housekeeping: IdentityHousekeeping,
    @Inject(JobQueue) private readonly queue: JobQueue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.schedule('identity.purge', EVERY_HOUR, {});
  }

  async handle(): Promise<void> {
    await this.housekeeping.purge();
  }
}
