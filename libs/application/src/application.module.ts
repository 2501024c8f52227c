import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import {
  AccountRepository,
  ApiKeyRepository,
  DeadLetterRepository,
  EventRepository,
  IdempotencyRepository,
  OrderRepository,
  SimRepository,
  UsageLedgerRepository,
} from '@simfleet/persistence';
import { AccountsService, ApiKeyAuthenticator } from './accounts/accounts.usecases.js';
import { BillingSessionRater } from './billing/billing-session-rater.js';
import { AlertsModule } from './alerts/alerts.module.js';
import { BillingModule } from './billing/billing.module.js';
import { OrdersService } from './orders/orders.service.js';
import { SimsService } from './sims/sims.service.js';
import { SmsModule } from './sms/sms.module.js';
import { SupportModule } from './support/support.module.js';
import { SimFleetModule } from './sims/sim-fleet.module.js';
import { StockService } from './stock/stock.service.js';
import { DeviceAuthenticator } from './telemetry/device-authenticator.js';
import { DeviceConnectivityModule } from './telemetry/device-connectivity.module.js';
import { DeviceSessions, LocalDeviceSessions, RedisDeviceSessions } from './telemetry/device-sessions.js';
import { IngestTelemetry } from './telemetry/ingest-telemetry.usecase.js';
import { SessionRater } from './telemetry/session-rater.js';
import { UsageService } from './telemetry/usage.service.js';
import { TelemetryQueriesModule } from './telemetry/telemetry-queries.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { AuthThrottleModule } from './identity/auth-throttle.module.js';

const repositories = [
  AccountRepository,
  ApiKeyRepository,
  SimRepository,
  OrderRepository,
  EventRepository,
  DeadLetterRepository,
  IdempotencyRepository,
  UsageLedgerRepository,
];
const useCases = [AccountsService, ApiKeyAuthenticator, SimsService, StockService, OrdersService, UsageService, IngestTelemetry, DeviceAuthenticator];

/** Repositories and use cases shared by the api, broker and worker roles. */
@Global()
@Module({
  imports: [
    AuthThrottleModule,
    WebhooksModule,
    TelemetryQueriesModule,
    DeviceConnectivityModule,
    SimFleetModule,
    SmsModule,
    SupportModule,
    BillingModule,
    AlertsModule,
  ],
  providers: [
    ...repositories,
    ...useCases,
    { provide: SessionRater, useClass: BillingSessionRater },
    {
      provide: DeviceSessions,
      inject: [APP_CONFIG],
      // With Redis, brokers may run in other processes: disconnect orders travel over pub/sub.
      useFactory: (config: AppConfig): DeviceSessions =>
        config.queue.kind === 'bullmq' ? new RedisDeviceSessions(config.queue.redisUrl, config.queue.prefix) : new LocalDeviceSessions(),
    },
  ],
  exports: [...repositories, ...useCases, SessionRater, DeviceSessions],
})
export class ApplicationModule implements OnApplicationShutdown {
  constructor(@Inject(DeviceSessions) private readonly sessions: DeviceSessions) {}

  async onApplicationShutdown(): Promise<void> {
    await this.sessions.close();
  }
}
