import { Inject, Injectable } from '@nestjs/common';
import { IngestTelemetry } from '@simfleet/application';
import { Metrics } from '@simfleet/observability';
import { JobProcessor, type JobProcessorHandler, JobQueue, type JobContext, type JobPayloads, isPermanentJobError } from '@simfleet/queue';

@Injectable()
@JobProcessor('telemetry.ingest')
export class TelemetryIngestProcessor implements JobProcessorHandler<'telemetry.ingest'> {
  constructor(
    @Inject(IngestTelemetry) private readonly ingest: IngestTelemetry,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(JobQueue) private readonly queue: JobQueue,
  ) {}

  async handle(batch: JobPayloads['telemetry.ingest'], context: JobContext): Promise<void> {
    let stored;
    try {
      stored = await this.ingest.execute(batch, { redelivery: context.redelivery });
    } catch (error) {
      if (!isPermanentJobError(error) || batch.records.length === 1) throw error;
      // A record the store can never take must not hold back the others: each goes on as its own job
      // (deterministic ids), so only the bad one fails for good and lands in the dead-letter list. The
      // failed run may have written part of the batch: each piece is a redelivery.
      await Promise.all(
        batch.records.map((record, i) =>
          this.queue.add('telemetry.ingest', { records: [record] }, { jobId: `${context.jobId}-r${i}`, redelivery: true }),
        ),
      );
      return;
    }
    this.metrics.storedRecords.inc({ kind: 'session' }, stored.sessions);
    this.metrics.storedRecords.inc({ kind: 'location' }, stored.locations);
    this.metrics.storedRecords.inc({ kind: 'status' }, stored.statuses);
  }
}
