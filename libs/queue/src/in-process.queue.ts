import { randomUUID } from 'node:crypto';
import { JobQueue, type EnqueueOptions, type JobHandler, type JobHooks } from './job-queue.js';
import { JOB_NAMES, JOB_POLICIES, backoffDelay, type JobName, type JobPayloads } from './jobs.js';
import { isPermanentJobError } from './permanent-error.js';

interface PendingJob {
  id: string;
  name: JobName;
  payload: unknown;
  attempt: number;
  redelivery: boolean;
}

/**
 * The embedded shape's queue: the same processors, run in this process. Jobs live in memory, so a
 * crash loses what was queued but not yet processed (documented in the README).
 */
export class InProcessJobQueue extends JobQueue {
  readonly kind = 'in-process' as const;
  private readonly waiting = new Map<JobName, PendingJob[]>(JOB_NAMES.map((n) => [n, []]));
  private readonly known = new Set<string>();
  private readonly running = new Map<JobName, number>(JOB_NAMES.map((n) => [n, 0]));
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private handlers?: ReadonlyMap<JobName, JobHandler<JobName>>;
  private hooks?: JobHooks;
  private closed = false;
  private draining = false;

  async add<N extends JobName>(name: N, payload: JobPayloads[N], options: EnqueueOptions = {}): Promise<void> {
    if (this.closed) throw new Error('the queue is closed');
    const id = options.jobId ?? randomUUID();
    if (this.known.has(id)) return;
    this.known.add(id);
    const job: PendingJob = { id, name, payload, attempt: 1, redelivery: options.redelivery ?? false };
    if (options.delayMs) this.later(options.delayMs, () => this.enqueue(job));
    else this.enqueue(job);
  }

  async startWorkers(handlers: ReadonlyMap<JobName, JobHandler<JobName>>, hooks: JobHooks): Promise<void> {
    this.handlers = handlers;
    this.hooks = hooks;
    for (const name of JOB_NAMES) this.pump(name);
  }

  private readonly schedules = new Map<JobName, NodeJS.Timeout>();

  async schedule<N extends JobName>(name: N, everyMs: number, payload: JobPayloads[N]): Promise<void> {
    clearInterval(this.schedules.get(name));
    // A stable job id: a tick while the previous run is still queued or running adds nothing.
    const timer = setInterval(() => {
      // add() fails only on a closed queue, which the check rules out.
      if (!this.closed) void this.add(name, payload, { jobId: `schedule:${name}` });
    }, everyMs);
    timer.unref();
    this.schedules.set(name, timer);
  }

  async depth(): Promise<Record<string, number>> {
    return Object.fromEntries([...this.waiting].map(([name, jobs]) => [name, jobs.length]));
  }

  async ping(): Promise<void> {}

  /**
   * Stops taking jobs, then runs what is already queued to completion: in memory, anything left would be
   * lost. Jobs waiting for a delayed retry are the exception (documented: not durable).
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.schedules.values()) clearInterval(timer);
    this.schedules.clear();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.draining = true;
    for (const name of JOB_NAMES) this.pump(name);
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
  }

  private enqueue(job: PendingJob): void {
    this.waiting.get(job.name)!.push(job);
    this.pump(job.name);
  }

  private pump(name: JobName): void {
    const handler = this.handlers?.get(name);
    if (!handler || (this.closed && !this.draining)) return;
    const queue = this.waiting.get(name)!;
    while (queue.length && this.running.get(name)! < JOB_POLICIES[name].concurrency) {
      const job = queue.shift()!;
      this.running.set(name, this.running.get(name)! + 1);
      const run = this.run(job, handler).finally(() => {
        this.inFlight.delete(run);
        this.running.set(name, this.running.get(name)! - 1);
        this.pump(name);
      });
      this.inFlight.add(run);
    }
  }

  private async run(job: PendingJob, handler: JobHandler<JobName>): Promise<void> {
    try {
      await handler(job.payload as JobPayloads[JobName], { jobId: job.id, attempt: job.attempt, redelivery: job.redelivery || job.attempt > 1 });
      this.known.delete(job.id);
    } catch (error) {
      const policy = JOB_POLICIES[job.name];
      const final = job.attempt >= policy.attempts || isPermanentJobError(error);
      this.hooks?.onFailure?.(job.name, error, final);
      if (!final && !this.closed) {
        this.later(backoffDelay(policy, job.attempt), () => this.enqueue({ ...job, attempt: job.attempt + 1 }));
        return;
      }
      if (final) await this.deadLetter(job, error);
      this.known.delete(job.id);
    }
  }

  /** Records a job that failed for good; if that fails too (the database is away), the job comes back later. */
  private async deadLetter(job: PendingJob, error: unknown): Promise<void> {
    try {
      await this.hooks?.onDeadLetter({
        queue: job.name,
        jobName: job.name,
        jobId: job.id,
        payload: job.payload,
        error: error instanceof Error ? error.message : String(error),
        attempts: job.attempt,
      });
    } catch (deadLetterError) {
      this.hooks?.onFailure?.(job.name, deadLetterError, false);
      if (!this.closed) this.later(JOB_POLICIES[job.name].maxBackoffMs, () => this.enqueue(job));
    }
  }
}
