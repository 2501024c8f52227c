import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AlertsScanProcessor } from './processors/alerts-scan.processor.js';
import { DeviceConnectionsProcessor } from './processors/device-connections.processor.js';
import { FleetCompactProcessor, FleetRepairProcessor } from './processors/fleet-maintenance.processor.js';
import { InvoiceScheduler, InvoicesMonthlyProcessor } from './processors/invoices-monthly.processor.js';
import { OrderFulfilProcessor } from './processors/order-fulfil.processor.js';
import { OrderDeliverProcessor, OrderFulfilPendingProcessor, OrderShipProcessor } from './processors/order-logistics.processor.js';
import { SmsDeliverProcessor } from './processors/sms-deliver.processor.js';
import { SimsBulkProcessor } from './processors/sims-bulk.processor.js';
import { TelemetryIngestProcessor } from './processors/telemetry-ingest.processor.js';
import { WebhooksDeliverProcessor } from './processors/webhooks-deliver.processor.js';
import { WebhookDispatcher } from '@simfleet/application';
import { WorkerService } from './worker.service.js';

/** The worker role. Each job processor is a provider here, marked with @JobProcessor(name). */
@Module({
  imports: [DiscoveryModule],
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
    FleetCompactProcessor,
    FleetRepairProcessor,
  ],
})
export class WorkerModule {}
