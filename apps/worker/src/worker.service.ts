import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Clock, newId } from '@simfleet/domain';
import { Metrics } from '@simfleet/observability';
import { DeadLetterRepository } from '@simfleet/persistence';
import { JOB_PROCESSOR_METADATA, type JobProcessorHandler, JobQueue, type JobHandler, JOB_NAMES, type JobName } from '@simfleet/queue';

/** Collects one handler per job name; a missing or duplicate handler stops startup. */
export class JobHandlerRegistry {
  private readonly handlers = new Map<JobName, JobHandler<JobName>>();

  register(name: JobName, handler: JobHandler<JobName>, owner: string): this {
    if (this.handlers.has(name)) throw new Error(`two handlers for job ${name} (the second in ${owner})`);
    this.handlers.set(name, handler);
    return this;
  }

  complete(): ReadonlyMap<JobName, JobHandler<JobName>> {
    const missing = JOB_NAMES.filter((name) => !this.handlers.has(name));
    if (missing.length) throw new Error(`no handler for job(s): ${missing.join(', ')}`);
    return this.handlers;
  }
}

/** The worker role: finds every @JobProcessor provider and consumes its queue. */
@Injectable()
export class WorkerService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Worker');

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(DeadLetterRepository) private readonly deadLetters: DeadLetterRepository,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  handlers(): ReadonlyMap<JobName, JobHandler<JobName>> {
    const registry = new JobHandlerRegistry();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as JobProcessorHandler<JobName> | undefined;
      const name = wrapper.metatype ? (Reflect.getMetadata(JOB_PROCESSOR_METADATA, wrapper.metatype) as JobName | undefined) : undefined;
      if (!name || !instance) continue;
      registry.register(name, (payload, context) => instance.handle(payload, context), wrapper.name);
    }
    return registry.complete();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.startWorkers(this.handlers(), {
      onFailure: (job, error, final) => {
        this.metrics.jobFailures.inc({ job, final: String(final) });
        this.logger.warn(`job ${job} failed${final ? ' for good' : ', will retry'}: ${error instanceof Error ? error.message : String(error)}`);
      },
      onDeadLetter: async (dead) => {
        await this.deadLetters.insert(
          {
            id: newId('dl'),
            queue: dead.queue,
            jobName: dead.jobName,
            jobId: dead.jobId,
            payload: dead.payload,
            error: dead.error,
            attempts: dead.attempts,
            failedAt: this.clock.now(),
          },
          dead.key,
        );
      },
    });
    this.logger.log(`worker consuming ${JOB_NAMES.join(', ')} (${this.queue.kind} queue)`);
  }
}
