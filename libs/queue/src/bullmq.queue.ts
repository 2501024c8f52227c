import { Logger } from '@nestjs/common';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobQueue, type EnqueueOptions, type JobHandler, type JobHooks } from './job-queue.js';
import { JOB_NAMES, JOB_POLICIES, type JobName, type JobPayloads } from './jobs.js';
import { isPermanentJobError } from './permanent-error.js';
import type { RedisConnections } from './redis-connections.js';

export interface BullMqOptions {
  /** How long a job stays claimed without its worker renewing the claim (BullMQ's lock) before it is run again. */
  stallTimeoutMs?: number;
}

/** The BullMQ job name of a job whose payload may have been processed before (see EnqueueOptions.redelivery). */
const redeliveryName = (name: JobName) => `${name}#redelivery`;

/**
 * BullMQ on Redis: durable jobs shared by every worker process. One BullMQ queue per job name.
 *
 * A job's attempts count its failures and its stalls (its worker died, or stopped renewing its claim, while
 * running it): BullMQ fails a job that stalled more than `maxStalledCount` times at once, without the
 * retries of its policy, so that limit is set above the policy and the budget is kept here instead. The
 * dead letter is recorded before the job is failed in Redis: a worker that dies in between leaves the job
 * claimed, it stalls, runs again, and records the same dead letter (same key) before failing it.
 */
export class BullMqJobQueue extends JobQueue {
  readonly kind = 'bullmq' as const;
  private readonly connection: Redis;
  private readonly queues: Map<JobName, Queue>;
  private readonly workers: Worker[] = [];
  private readonly logger = new Logger('BullMQ');
  private readonly prefix: string;

  /** Its connections come from the process's RedisConnections, which reconnects them and closes them at shutdown. */
  constructor(
    private readonly connections: RedisConnections,
    private readonly options: BullMqOptions = {},
  ) {
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
    await this.queues.get(name)!.add(options.redelivery ? redeliveryName(name) : name, payload, { jobId: options.jobId, delay: options.delayMs });
  }

  async startWorkers(handlers: ReadonlyMap<JobName, JobHandler<JobName>>, hooks: JobHooks): Promise<void> {
    for (const [name, handler] of handlers) {
      const policy = JOB_POLICIES[name];
      const connection = this.connections.open(`queue-worker:${name}`, { maxRetriesPerRequest: null });
      const stallTimeoutMs = this.options.stallTimeoutMs ?? 30_000;
      const worker = new Worker(
        name,
        async (job: Job, token?: string) => {
          // Runs spent so far: failures, and runs whose worker died. The budget is the policy's attempts.
          const spent = job.attemptsMade + job.stalledCounter;
          const context = { jobId: job.id ?? '', attempt: spent + 1, redelivery: spent > 0 || job.name === redeliveryName(name) };
          if (spent >= policy.attempts) {
            // Every attempt was spent (the last run's worker died, or its dead letter could not be recorded
            // then): dead-lettered without running again.
            const deaths = job.stalledCounter ? `the worker running it died ${job.stalledCounter} time(s)` : '';
            const error = new Error([job.failedReason, deaths].filter(Boolean).join('; ') || 'every attempt was spent');
            hooks.onFailure?.(name, error, true);
            await this.deadLetter(job, token, name, hooks, error);
          }
          try {
            await handler(job.data as JobPayloads[JobName], context);
          } catch (error) {
            const final = isPermanentJobError(error) || spent + 1 >= policy.attempts;
            hooks.onFailure?.(name, error, final);
            if (!final) throw error;
            await this.deadLetter(job, token, name, hooks, error);
          }
        },
        {
          connection,
          prefix: this.prefix,
          concurrency: policy.concurrency,
          // The claim is renewed every half of it while the job runs.
          lockDuration: stallTimeoutMs,
          stalledInterval: stallTimeoutMs,
          // Above the budget, so that BullMQ never fails a stalled job by itself (see the class comment).
          maxStalledCount: policy.attempts + 1,
          settings: {
            backoffStrategy: (attemptsMade: number) => Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, attemptsMade - 1)),
          },
        } as ConstructorParameters<typeof Worker>[2],
      );
      worker.on('error', (error: Error) => this.logOnce(error));
      this.workers.push(worker);
    }
  }

  /**
   * Records the dead letter, then fails the job for good (UnrecoverableError: BullMQ retries it no more).
   * If the dead letter cannot be recorded (the database is away), the job waits and comes back, its attempts
   * unchanged, rather than being dropped.
   */
  private async deadLetter(job: Job, token: string | undefined, name: JobName, hooks: JobHooks, error: unknown): Promise<never> {
    const message = error instanceof Error ? error.message : String(error);
    try {
      await hooks.onDeadLetter({
        queue: name,
        jobName: name,
        jobId: job.id ?? '',
        payload: job.data,
        error: message,
        attempts: job.attemptsMade + job.stalledCounter + 1,
        key: `${this.prefix}:${name}:${job.id}:${job.timestamp}`,
      });
    } catch (deadLetterError) {
      this.logger.error(`could not dead-letter job ${job.id} (${String(deadLetterError)}): it waits and comes back`);
      await job.moveToDelayed(Date.now() + JOB_POLICIES[name].maxBackoffMs, token);
      throw new DelayedError();
    }
    throw new UnrecoverableError(message);
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
