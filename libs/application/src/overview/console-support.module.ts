import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module.js';
import { EventStream } from '../events/event-stream.js';
import { SimsModule } from '../sims/sims.module.js';
import { TelemetryQueriesModule } from '../telemetry/telemetry-queries.module.js';
import { FleetOverviewService } from './fleet-overview.service.js';

/** What the operator console reads beyond the other resources: the live event stream, the overview and the fleet map. */
@Module({
  imports: [SimsModule, TelemetryQueriesModule, BillingModule],
  providers: [EventStream, FleetOverviewService],
  exports: [EventStream, FleetOverviewService],
})
export class ConsoleSupportModule {}
