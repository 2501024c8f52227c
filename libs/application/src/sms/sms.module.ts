import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { JobQueue } from '@simfleet/queue';
import { HttpProviderGateway } from './http-provider.gateway.js';
import { DeviceControlModule } from '../device-control/device-control.module.js';
import { NetworkSimulatorGateway } from './network-simulator.gateway.js';
import { SmsGateway } from './sms-gateway.js';
import { SmsService } from './sms.service.js';

/** Mobile-terminated SMS: the gateway, chosen here from the configuration; the broker downlink is the device control plane. */
@Module({
  imports: [DeviceControlModule],
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
  ],
  exports: [SmsService, SmsGateway],
})
export class SmsModule {}
