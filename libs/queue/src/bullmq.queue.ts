import { Logger } from '@nestjs/common';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobQueue, type EnqueueOptions, type JobHandler, type JobHooks } from './job-queue.js';
import { JOB_NAMES, JOB_POLICIES, type JobName, type JobPayloads } from './jobs.js';
import { isPermanentJobError } from './permanent-error.js';
import type { RedisConnections } from './redis-connections.js';

/** BullMQ on Redis: durable jobs shared by every worker process. One BullMQ queue per job name. */
export class BullMqJobQueue extends JobQueue {
  readonly kind = 'bullmq' as const;
  private readonly connection: Redis;
  private readonly queues: Map<JobName, Queue>;
  private readonly workers: Worker[] = [];
  private readonly logger = new Logger('BullMQ');
  private readonly prefix: string;

  /** Its connections come from the process's RedisConnections, which reconnects them and closes them at shutdown. */
  constructor(private readonly connections: RedisConnections) {
    super();
    this.prefix = connections.prefix;
    // Producers fail fast when Redis is down rather than buffering: the MQTT publish then stays unacknowledged.
    this.connection = connections.open('queue', { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.queues = new Map(
      JOB_NAMES.map((name) => [
        name,
        new Queue(name, {
          connection: this.connection,
          prefix: this.prefix,
          defaultOptions: undefined,
          defaultJobOptions: {
            attempts: JOB_POLICIES[name].attempts,
            backoff: { type: 'exponential', delay: JOB_POLICIES[name].backoffMs },
            removeOnComplete: true,
            removeOnFail: 1000,
          },
        } as ConstructorParameters<typeof Queue>[1]),
      ]),
    );
    for (const queue of this.queues.values()) queue.on('error', (error: Error) => this.logOnce(error));
  }

  private lastError = '';
  private logOnce(error: Error): void {
    if (error.message === this.lastError) return;
    this.lastError = error.message;
    this.logger.warn(`Redis: ${error.message}`);
  }

  async add<N extends JobName>(name: N, payload: JobPayloads[N], options: EnqueueOptions = {}): Promise<void> {
    await this.queues.get(name)!.add(name, payload, { jobId: options.jobId, delay: options.delayMs });
  }

  async startWorkers(handlers: ReadonlyMap<JobName, JobHandler<JobName>>, hooks: JobHooks): Promise<void> {
    for (const [name, handler] of handlers) {
      const policy = JOB_POLICIES[name];
      const connection = this.connections.open(`queue-worker:${name}`, { maxRetriesPerRequest: null });
      const worker = new Worker(
        name,
        async (job: Job) =>
          handler(job.data as JobPayloads[JobName], { jobId: job.id ?? '', attempt: job.attemptsMade + 1 }).catch((error: unknown) => {
            // BullMQ does not retry an UnrecoverableError: the job fails for good and is dead-lettered below.
            throw isPermanentJobError(error) ? new UnrecoverableError((error as Error).message) : error;
          }),
        {
          connection,
          prefix: this.prefix,
          concurrency: policy.concurrency,
          settings: {
            backoffStrategy: (attemptsMade: number) => Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, attemptsMade - 1)),
          },
        } as ConstructorParameters<typeof Worker>[2],
      );
      worker.on('failed', (job, error) => {
        if (!job) return;
        const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError;
        hooks.onFailure?.(name, error, final);
        if (final) {
          hooks
            .onDeadLetter({
              queue: name,
              jobName: name,
              jobId: job.id ?? '',
              payload: job.data,
              error: error.message,
              attempts: job.attemptsMade,
            })
            .catch((deadLetterError: unknown) => this.logger.error(`could not dead-letter job ${job.id}: ${String(deadLetterError)}`));
        }
      });
      worker.on('error', (error: Error) => this.logOnce(error));
      this.workers.push(worker);
    }
  }

  async schedule<N extends JobName>(name: N, everyMs: number, payload: JobPayloads[N]): Promise<void> {
    // Upserting the scheduler by id is idempotent: every worker may call it, Redis holds one schedule.
    await this.queues.get(name)!.upsertJobScheduler(`schedule:${name}`, { every: everyMs }, { name, data: payload });
  }

  async depth(): Promise<Record<string, number>> {
    const entries = await Promise.all(
      [...this.queues].map(async ([name, queue]) => [name, await queue.getJobCountByTypes('waiting', 'delayed', 'prioritized')] as const),
    );
    return Object.fromEntries(entries);
  }

  async ping(): Promise<void> {
    const answer = await this.connection.ping();
    if (answer !== 'PONG') throw new Error(`Redis answered ${answer}`);
  }

  private closing?: Promise<void>;

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // Worker.close() waits for the jobs in flight to finish: that is the graceful part of shutdown.
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
