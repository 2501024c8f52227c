import { Global, Module } from '@nestjs/common';
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
import { DeviceControlModule } from './device-control/device-control.module.js';
import { DeviceConnectivityModule } from './telemetry/device-connectivity.module.js';
import { IngestTelemetry } from './telemetry/ingest-telemetry.usecase.js';
import { SessionRater } from './telemetry/session-rater.js';
import { UsageService } from './telemetry/usage.service.js';
import { TelemetryQueriesModule } from './telemetry/telemetry-queries.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

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
    DeviceControlModule,
    WebhooksModule,
    TelemetryQueriesModule,
    DeviceConnectivityModule,
    SimFleetModule,
    SmsModule,
    SupportModule,
    BillingModule,
    AlertsModule,
  ],
  providers: [...repositories, ...useCases, { provide: SessionRater, useClass: BillingSessionRater }],
  exports: [...repositories, ...useCases, SessionRater],
})
export class ApplicationModule {}
