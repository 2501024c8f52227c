import { Inject, Injectable } from '@nestjs/common';
import { IngestTelemetry } from '../../../../libs/application/src/telemetry/ingest-telemetry.usecase.js';
import { Metrics } from '../../../../libs/observability/src/metrics.js';
import { JobProcessor, type JobProcessorHandler } from '../../../../libs/queue/src/job-processor.js';
import type { JobPayloads } from '../../../../libs/queue/src/jobs.js';

@Injectable()
@JobProcessor('telemetry.ingest')
export class TelemetryIngestProcessor implements JobProcessorHandler<'telemetry.ingest'> {
  constructor(
    @Inject(IngestTelemetry) private readonly ingest: IngestTelemetry,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}

  async handle(batch: JobPayloads['telemetry.ingest']): Promise<void> {
    const stored = await this.ingest.execute(batch);
    this.metrics.storedRecords.inc({ kind: 'session' }, stored.sessions);
    this.metrics.storedRecords.inc({ kind: 'location' }, stored.locations);
    this.metrics.storedRecords.inc({ kind: 'status' }, stored.statuses);
  }
}
