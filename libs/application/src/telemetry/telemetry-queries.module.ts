import { Module } from '@nestjs/common';
import { ConnectionLogState, ConnectionStateSource } from './connection-state.js';
import { IngestionErrors } from './ingestion-errors.usecase.js';
import { SimDiagnostics } from './sim-diagnostics.service.js';
import { SimLocations } from './sim-locations.service.js';
import { UsageReports } from './usage-reports.service.js';
import { UsageService } from './usage.service.js';
import { DeviceConnectivityModule } from './device-connectivity.module.js';

/** Telemetry queries (reports, network statistics, locations, diagnostics) and the ingestion error log. */
@Module({
  imports: [DeviceConnectivityModule],
  providers: [
    UsageService,
    UsageReports,
    SimLocations,
    SimDiagnostics,
    IngestionErrors,
    // The broker's connection log, falling back to telemetry for SIMs it has never seen.
    { provide: ConnectionStateSource, useClass: ConnectionLogState },
  ],
  exports: [UsageService, UsageReports, SimLocations, SimDiagnostics, IngestionErrors, ConnectionStateSource],
})
export class TelemetryQueriesModule {}
