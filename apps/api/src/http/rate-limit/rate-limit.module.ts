import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { RedisConnections, RedisConnectionsModule } from '@simfleet/queue';
import { RateLimitInterceptor } from './rate-limit.interceptor.js';
import { MemoryRateLimitStore, RateLimitStore, RedisRateLimitStore } from './rate-limit-store.js';

/** The API's rate limit; its counters are shared by API instances in Redis when the deployment has Redis, else kept in memory. */
@Module({
  imports: [RedisConnectionsModule],
  providers: [
    {
      provide: RateLimitStore,
      inject: [RedisConnections],
      useFactory: (connections: RedisConnections): RateLimitStore =>
        connections.choose<RateLimitStore>({ redis: (redis) => new RedisRateLimitStore(redis), local: () => new MemoryRateLimitStore() }),
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
