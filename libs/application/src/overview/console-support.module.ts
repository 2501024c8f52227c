import { Module } from '@nestjs/common';
import { EventStreamRepository, FleetMapRepository, OverviewRepository } from '@simfleet/persistence';
import { EventStream } from '../events/event-stream.js';
import { FleetOverviewService } from './fleet-overview.service.js';

/** What the operator console reads beyond the other resources: the live event stream, the overview and the fleet map. */
@Module({
  providers: [EventStreamRepository, EventStream, OverviewRepository, FleetMapRepository, FleetOverviewService],
  exports: [EventStream, FleetOverviewService],
})
export class ConsoleSupportModule {}
