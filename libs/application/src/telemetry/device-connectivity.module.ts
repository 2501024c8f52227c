import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { AccountsModule } from '../accounts/accounts.module.js';
import { ConnectivityService } from './connectivity.service.js';
import { DeviceSessions, LocalDeviceSessions, RedisDeviceSessions } from './device-sessions.js';
import { IntegrationAuthenticator } from './integration-authenticator.js';
import { RecordConnections } from './record-connections.usecase.js';

const providers = [
  RecordConnections,
  ConnectivityService,
  IntegrationAuthenticator,
  {
    provide: DeviceSessions,
    inject: [APP_CONFIG],
    // With Redis, brokers may run in other processes: disconnect orders travel over pub/sub.
    useFactory: (config: AppConfig): DeviceSessions =>
      config.queue.kind === 'bullmq' ? new RedisDeviceSessions(config.queue.redisUrl, config.queue.prefix) : new LocalDeviceSessions(),
  },
];

/**
 * Device connections: the connection log and its events, the control of connected devices (disconnect,
 * connectivity test, reset) wherever the broker holding them runs, and integration credentials.
 */
@Module({ imports: [AccountsModule], providers, exports: [RecordConnections, ConnectivityService, IntegrationAuthenticator, DeviceSessions] })
export class DeviceConnectivityModule implements OnApplicationShutdown {
  constructor(@Inject(DeviceSessions) private readonly sessions: DeviceSessions) {}

  async onApplicationShutdown(): Promise<void> {
    await this.sessions.close();
  }
}
