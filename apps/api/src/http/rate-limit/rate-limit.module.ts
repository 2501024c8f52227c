import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { RateLimitInterceptor } from './rate-limit.interceptor.js';
import { MemoryRateLimitStore, RateLimitStore, RedisRateLimitStore } from './rate-limit-store.js';

/** The API's rate limit; the counter store is chosen here: Redis (shared by API instances) when configured, else memory. */
@Module({
  providers: [
    {
      provide: RateLimitStore,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): RateLimitStore =>
        config.queue.kind === 'bullmq' ? new RedisRateLimitStore(config.queue.redisUrl, config.queue.prefix) : new MemoryRateLimitStore(),
    },
    { provide: APP_INTERCEPTOR, useClass: RateLimitInterceptor },
  ],
})
export class RateLimitModule implements OnApplicationShutdown {
  constructor(@Inject(RateLimitStore) private readonly store: RateLimitStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
