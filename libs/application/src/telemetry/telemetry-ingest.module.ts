import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { BillingModule } from '../billing/billing.module.js';
import { DeviceAuthenticator } from './device-authenticator.js';
import { IngestTelemetry } from './ingest-telemetry.usecase.js';

/** Device telemetry in: SIM authentication for the broker, and ingestion (rating, ledger, store, alerts). */
@Module({
  imports: [AlertsModule, BillingModule],
  providers: [IngestTelemetry, DeviceAuthenticator],
  exports: [IngestTelemetry, DeviceAuthenticator],
})
export class TelemetryIngestModule {}
