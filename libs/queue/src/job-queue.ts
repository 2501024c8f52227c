import type { JobName, JobPayloads } from './jobs.js';

export interface EnqueueOptions {
  /** Deterministic id: adding a job whose id is already queued is a no-op (the producer may retry safely). */
  jobId?: string;
  delayMs?: number;
  /** The payload may have been processed before, in part (a replayed dead letter, a piece of a split job). */
  redelivery?: boolean;
}

export interface JobContext {
  jobId: string;
  /** 1 for the first run; a run after a failure, or after the worker running it died, counts. */
  attempt: number;
  /**
   * The payload may have been processed before, in part: a retry (after a failure or a worker's death), a
   * replayed dead letter, a piece of a split job. A handler may then have to repair what that run left.
   */
  redelivery: boolean;
}

export type JobHandler<N extends JobName> = (payload: JobPayloads[N], context: JobContext) => Promise<void>;

export interface DeadLetter {
  queue: string;
  jobName: JobName;
  jobId: string;
  payload: unknown;
  error: string;
  attempts: number;
  /**
   * Names this failure of this job: recording it again (the worker died between recording it and failing the
   * job, so the job ran once more) must not add a second dead letter. Absent: every call is a new one.
   */
  key?: string;
}

export interface JobHooks {
  onFailure?(jobName: JobName, error: unknown, final: boolean): void;
  /**
   * Called with a job that failed all its attempts, before the queue lets go of it; it must persist it (the
   * dead-letter list). If it throws, the queue keeps the job and calls it again later: nothing is dropped.
   */
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
