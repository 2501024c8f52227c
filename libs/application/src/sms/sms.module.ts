import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { JobQueue } from '@simfleet/queue';
import { HttpProviderGateway } from './http-provider.gateway.js';
import { NetworkSimulatorGateway } from './network-simulator.gateway.js';
import { LocalSmsDownlink, RedisSmsDownlink, SmsDownlink } from './sms-downlink.js';
import { SmsGateway } from './sms-gateway.js';
import { SmsService } from './sms.service.js';

/** Mobile-terminated SMS: the gateway and the broker downlink, each chosen once here from the configuration. */
@Module({
  providers: [
    SmsService,
    {
      provide: SmsGateway,
      inject: [APP_CONFIG, JobQueue],
      useFactory: (config: AppConfig, queue: JobQueue): SmsGateway =>
        config.sms.gateway.kind === 'http-provider'
          ? new HttpProviderGateway(config.sms.gateway.url, config.sms.gateway.token)
          : new NetworkSimulatorGateway(queue),
    },
    {
      provide: SmsDownlink,
      inject: [APP_CONFIG],
      // With Redis, the broker holding the device may be another process: request and answer travel over pub/sub.
      useFactory: (config: AppConfig): SmsDownlink =>
        config.queue.kind === 'bullmq' ? new RedisSmsDownlink(config.queue.redisUrl, config.queue.prefix) : new LocalSmsDownlink(),
    },
  ],
  exports: [SmsService, SmsGateway, SmsDownlink],
})
export class SmsModule implements OnApplicationShutdown {
  constructor(@Inject(SmsDownlink) private readonly downlink: SmsDownlink) {}

  async onApplicationShutdown(): Promise<void> {
    await this.downlink.close();
  }
}
