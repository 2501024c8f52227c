import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { BullMqJobQueue } from './bullmq.queue.js';
import { InProcessJobQueue } from './in-process.queue.js';
import { JobQueue } from './job-queue.js';

@Global()
@Module({
  providers: [
    {
      provide: JobQueue,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): JobQueue =>
        config.queue.kind === 'bullmq'
          ? new BullMqJobQueue(config.queue.redisUrl, config.queue.prefix, { stallTimeoutMs: config.jobs.stallTimeoutMs })
          : new InProcessJobQueue(),
    },
  ],
  exports: [JobQueue],
})
export class QueueModule implements OnApplicationShutdown {
  constructor(@Inject(JobQueue) private readonly queue: JobQueue) {}

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}
