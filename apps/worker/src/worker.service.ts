import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { OrdersService } from '../../../libs/application/src/orders/orders.service.js';
import { IngestTelemetry } from '../../../libs/application/src/telemetry/ingest-telemetry.usecase.js';
import { newId } from '../../../libs/domain/src/ids.js';
import { Metrics } from '../../../libs/observability/src/metrics.js';
import { DeadLetterRepository } from '../../../libs/persistence/src/repositories/dead-letter.repository.js';
import { JobQueue, type JobHandler } from '../../../libs/queue/src/job-queue.js';
import { JOB_NAMES, type JobName, type JobPayloads } from '../../../libs/queue/src/jobs.js';

/** Registers one handler per job name; a missing or duplicate handler stops startup. */
export class JobHandlerRegistry {
  private readonly handlers = new Map<JobName, JobHandler<JobName>>();

  register<N extends JobName>(name: N, handler: JobHandler<N>): this {
    if (this.handlers.has(name)) throw new Error(`two handlers for job ${name}`);
    this.handlers.set(name, handler as JobHandler<JobName>);
    return this;
  }

  complete(): ReadonlyMap<JobName, JobHandler<JobName>> {
    const missing = JOB_NAMES.filter((name) => !this.handlers.has(name));
    if (missing.length) throw new Error(`no handler for job(s): ${missing.join(', ')}`);
    return this.handlers;
  }
}

/** The worker role: job processors are thin; each parses its payload and calls a use case. */
@Injectable()
export class WorkerService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Worker');

  constructor(
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(IngestTelemetry) private readonly ingest: IngestTelemetry,
    @Inject(OrdersService) private readonly orders: OrdersService,
    @Inject(DeadLetterRepository) private readonly deadLetters: DeadLetterRepository,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}

  handlers(): ReadonlyMap<JobName, JobHandler<JobName>> {
    return new JobHandlerRegistry()
      .register('telemetry.ingest', async (batch: JobPayloads['telemetry.ingest']) => {
        const stored = await this.ingest.execute(batch);
        this.metrics.storedRecords.inc({ kind: 'session' }, stored.sessions);
        this.metrics.storedRecords.inc({ kind: 'location' }, stored.locations);
        this.metrics.storedRecords.inc({ kind: 'status' }, stored.statuses);
      })
      .register('orders.fulfil', async ({ orderId }) => {
        await this.orders.fulfil(orderId);
      })
      .complete();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.startWorkers(this.handlers(), {
      onFailure: (job, error, final) => {
        this.metrics.jobFailures.inc({ job, final: String(final) });
        this.logger.warn(`job ${job} failed${final ? ' for good' : ', will retry'}: ${error instanceof Error ? error.message : String(error)}`);
      },
      onDeadLetter: async (dead) => {
        await this.deadLetters.insert({ id: newId('dl'), queue: dead.queue, jobName: dead.jobName, jobId: dead.jobId, payload: dead.payload, error: dead.error, attempts: dead.attempts, failedAt: new Date() });
      },
    });
    this.logger.log(`worker consuming ${JOB_NAMES.join(', ')} (${this.queue.kind} queue)`);
  }
}
