import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { OrderFulfilProcessor } from './processors/order-fulfil.processor.js';
import { TelemetryIngestProcessor } from './processors/telemetry-ingest.processor.js';
import { WorkerService } from './worker.service.js';

/** The worker role. Each job processor is a provider here, marked with @JobProcessor(name). */
@Module({
  imports: [DiscoveryModule],
  providers: [WorkerService, TelemetryIngestProcessor, OrderFulfilProcessor],
})
export class WorkerModule {}
