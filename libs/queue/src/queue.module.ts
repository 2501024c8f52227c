import { Global, Inject, Module, type BeforeApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { BullMqJobQueue } from './bullmq.queue.js';
import { InProcessJobQueue } from './in-process.queue.js';
import { JobQueue } from './job-queue.js';
import { RedisConnections, RedisConnectionsModule } from './redis-connections.js';

@Global()
@Module({
  imports: [RedisConnectionsModule],
  providers: [
    {
      provide: JobQueue,
      inject: [RedisConnections, APP_CONFIG],
      useFactory: (connections: RedisConnections, config: AppConfig): JobQueue =>
        connections.choose<JobQueue>({
          redis: (redis) => new BullMqJobQueue(redis, { stallTimeoutMs: config.jobs.stallTimeoutMs }),
          local: () => new InProcessJobQueue(),
        }),
    },
  ],
  exports: [JobQueue],
})
export class QueueModule implements BeforeApplicationShutdown {
  constructor(@Inject(JobQueue) private readonly queue: JobQueue) {}

  // Before the Redis connections close (they close in onApplicationShutdown).
  async beforeApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}
