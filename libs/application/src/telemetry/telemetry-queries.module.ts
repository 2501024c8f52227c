import { Global, Module } from '@nestjs/common';
import { TelemetryQueriesRepository, UsageRollupsRepository } from '@simfleet/persistence';
import { ConnectionLogState, ConnectionStateSource } from './connection-state.js';
import { IngestionErrors } from './ingestion-errors.usecase.js';
import { SimDiagnostics } from './sim-diagnostics.service.js';
import { SimLocations } from './sim-locations.service.js';
import { UsageReports } from './usage-reports.service.js';

/** Telemetry queries (reports, network statistics, locations, diagnostics) and the ingestion error log. */
@Global()
@Module({
  providers: [
    TelemetryQueriesRepository,
    UsageRollupsRepository,
    UsageReports,
    SimLocations,
    SimDiagnostics,
    IngestionErrors,
    // The broker's connection log, falling back to telemetry for SIMs it has never seen.
    { provide: ConnectionStateSource, useClass: ConnectionLogState },
  ],
  exports: [TelemetryQueriesRepository, UsageRollupsRepository, UsageReports, SimLocations, SimDiagnostics, IngestionErrors, ConnectionStateSource],
})
export class TelemetryQueriesModule {}
