import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import {
  AlertsModule,
  BillingModule,
  DeviceConnectivityModule,
  SimFleetModule,
  SimsModule,
  SmsModule,
  TelemetryIngestModule,
  WebhooksModule,
} from '@simfleet/application';
import { AlertsScanProcessor } from './processors/alerts-scan.processor.js';
import { IdentityPurgeProcessor } from './processors/identity-purge.processor.js';
import { IdempotencyPurgeProcessor } from './processors/idempotency-purge.processor.js';
import { DeviceConnectionsProcessor } from './processors/device-connections.processor.js';
import { InvoiceScheduler, InvoicesMonthlyProcessor } from './processors/invoices-monthly.processor.js';
import { OrderFulfilProcessor } from './processors/order-fulfil.processor.js';
import { OrderDeliverProcessor, OrderFulfilPendingProcessor, OrderShipProcessor } from './processors/order-logistics.processor.js';
import { SmsDeliverProcessor } from './processors/sms-deliver.processor.js';
import { SimsBulkProcessor } from './processors/sims-bulk.processor.js';
import { TelemetryIngestProcessor } from './processors/telemetry-ingest.processor.js';
import { WebhooksDeliverProcessor } from './processors/webhooks-deliver.processor.js';
import { IdentityHousekeepingModule, WebhookDispatcher } from '@simfleet/application';
import { WorkerService } from './worker.service.js';

/** The worker role. Each job processor is a provider here, marked with @JobProcessor(name). */
@Module({
  imports: [
    DiscoveryModule,
    TelemetryIngestModule,
    AlertsModule,
    BillingModule,
    SimsModule,
    SimFleetModule,
    SmsModule,
    WebhooksModule,
    DeviceConnectivityModule,
    IdentityHousekeepingModule,
  ],
  providers: [
    WorkerService,
    InvoicesMonthlyProcessor,
    InvoiceScheduler,
    WebhooksDeliverProcessor,
    WebhookDispatcher,
    TelemetryIngestProcessor,
    OrderFulfilProcessor,
    OrderFulfilPendingProcessor,
    OrderShipProcessor,
    OrderDeliverProcessor,
    SmsDeliverProcessor,
    DeviceConnectionsProcessor,
    SimsBulkProcessor,
    AlertsScanProcessor,
    IdentityPurgeProcessor,
    IdempotencyPurgeProcessor,
  ],
})
export class WorkerModule {}
