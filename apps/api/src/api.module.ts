import { Module } from '@nestjs/common';
import {
  AccountsModule,
  BillingModule,
  DeviceConnectivityModule,
  OperationsModule,
  SimFleetModule,
  SimsModule,
  TelemetryQueriesModule,
  WebhooksModule,
} from '@simfleet/application';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { SecretsModule } from '@simfleet/persistence';
import { AccountsController } from './accounts/accounts.controller.js';
import { AdminController } from './admin/admin.controller.js';
import { AlertsApiModule } from './alerts/alerts-api.module.js';
import { BILLING_CONTROLLERS } from './billing/billing.controllers.js';
import { EventsController } from './events/events.controller.js';
import { FleetServicesApiModule } from './fleet-services-api.module.js';
import { IdempotencyInterceptor } from './http/idempotency.interceptor.js';
import { IdentityApiModule } from './identity/identity-api.module.js';
import { OrdersController } from './orders/orders.controller.js';
import { ConnectivityController } from './sims/connectivity.controller.js';
import { SimsController } from './sims/sims.controller.js';
import { SimFleetApiModule } from './sims/sim-fleet-api.module.js';
import { StockController } from './stock/stock.controller.js';
import { SimTelemetryController, TelemetryReportsController } from './telemetry/telemetry-queries.controller.js';
import { WebhooksController } from './webhooks/webhooks.controller.js';

/** The REST API of operators and admins (`/v1`). */
@Module({
  imports: [
    SecretsModule,
    AccountsModule,
    SimsModule,
    SimFleetModule,
    DeviceConnectivityModule,
    TelemetryQueriesModule,
    WebhooksModule,
    BillingModule,
    OperationsModule,
    FleetServicesApiModule,
    SimFleetApiModule,
    AlertsApiModule,
    IdentityApiModule,
  ],
  controllers: [
    AccountsController,
    StockController,
    OrdersController,
    SimsController,
    EventsController,
    AdminController,
    TelemetryReportsController,
    SimTelemetryController,
    WebhooksController,
    ConnectivityController,
    ...BILLING_CONTROLLERS,
  ],
  providers: [{ provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor }],
})
export class ApiModule {}
