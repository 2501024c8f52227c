import { Inject, Injectable } from '@nestjs/common';
import { BulkJobsService } from '@simfleet/application';
import { type JobContext, JobProcessor, type JobProcessorHandler, JOB_POLICIES, type JobPayloads } from '@simfleet/queue';

@Injectable()
@JobProcessor('sims.bulk')
export class SimsBulkProcessor implements JobProcessorHandler<'sims.bulk'> {
  constructor(@Inject(BulkJobsService) private readonly bulk: BulkJobsService) {}

  async handle({ jobId }: JobPayloads['sims.bulk'], context: JobContext): Promise<void> {
    try {
      await this.bulk.process(jobId);
    } catch (error) {
      // On the last attempt the job is shown as failed (with its error) before the queue dead-letters it.
      if (context.attempt >= JOB_POLICIES['sims.bulk'].attempts) await this.bulk.markFailed(jobId, error);
      throw error;
    }
  }
}
