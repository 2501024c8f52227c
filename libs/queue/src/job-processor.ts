import { SetMetadata } from '@nestjs/common';
import type { JobContext } from './job-queue.js';
import type { JobName, JobPayloads } from './jobs.js';

export const JOB_PROCESSOR_METADATA = 'simfleet:job-processor';

/** Marks a worker provider as the one handler of a job name (discovered at startup). */
export const JobProcessor = (name: JobName) => SetMetadata(JOB_PROCESSOR_METADATA, name);

export interface JobProcessorHandler<N extends JobName> {
  handle(payload: JobPayloads[N], context: JobContext): Promise<void>;
}
