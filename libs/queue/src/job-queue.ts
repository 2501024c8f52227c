import type { JobName, JobPayloads } from './jobs.js';

export interface EnqueueOptions {
  /** Deterministic id: adding a job whose id is already queued is a no-op (the producer may retry safely). */
  jobId?: string;
  delayMs?: number;
}

export interface JobContext {
  jobId: string;
  attempt: number;
}

export type JobHandler<N extends JobName> = (payload: JobPayloads[N], context: JobContext) => Promise<void>;

export interface DeadLetter {
  queue: string;
  jobName: JobName;
  jobId: string;
  payload: unknown;
  error: string;
  attempts: number;
}

export interface JobHooks {
  onFailure?(jobName: JobName, error: unknown, final: boolean): void;
  /** Called with a job that failed all its attempts; it must persist it (the dead-letter list). */
  onDeadLetter(deadLetter: DeadLetter): Promise<void>;
}

/**
 * The job queue port. BullMQ on Redis in the servers shape, in-process in the embedded shape; chosen
 * once in QueueModule.
 */
export abstract class JobQueue {
  abstract readonly kind: 'in-process' | 'bullmq';
  /** Resolves once the job is durably queued (in Redis for BullMQ). */
  abstract add<N extends JobName>(name: N, payload: JobPayloads[N], options?: EnqueueOptions): Promise<void>;
  /** Starts consuming: this process becomes a worker for every job name in `handlers`. */
  abstract startWorkers(handlers: ReadonlyMap<JobName, JobHandler<JobName>>, hooks: JobHooks): Promise<void>;
  /**
   * Runs a job every `everyMs`, once per cluster: a BullMQ job scheduler (one schedule in Redis however many
   * processes call this), a timer in-process. Calling it again replaces the interval.
   */
  abstract schedule<N extends JobName>(name: N, everyMs: number, payload: JobPayloads[N]): Promise<void>;
  /** Waiting + delayed jobs per queue. */
  abstract depth(): Promise<Record<string, number>>;
  abstract ping(): Promise<void>;
  /** Stops taking new jobs and waits for those in flight. */
  abstract close(): Promise<void>;
}
