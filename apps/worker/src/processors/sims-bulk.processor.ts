import { Inject, Injectable } from '@nestjs/common';
import { BulkJobsService } from '../../../../libs/application/src/sims/bulk-jobs.service.js';
import type { JobContext } from '../../../../libs/queue/src/job-queue.js';
import { JobProcessor, type JobProcessorHandler } from '../../../../libs/queue/src/job-processor.js';
import { JOB_POLICIES, type JobPayloads } from '../../../../libs/queue/src/jobs.js';

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
