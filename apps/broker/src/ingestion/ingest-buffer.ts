import { randomBytes } from 'node:crypto';
import type { TelemetryEnvelope } from '@simfleet/domain';
import type { JobQueue } from '@simfleet/queue';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Gathers validated records into queue jobs bounded by size and time. `submit` resolves only once the
 * batch holding the record is durably queued: the broker acknowledges a QoS 1 publish after that.
 */
export class IngestBuffer {
  private records: TelemetryEnvelope[] = [];
  private waiters: Waiter[] = [];
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  /** Unique to this buffer's life: with the batch sequence, it names every batch once, across restarts and brokers. */
  private readonly epoch = randomBytes(9).toString('base64url');
  private sequence = 0;

  constructor(
    private readonly queue: JobQueue,
    private readonly maxRecords: number,
    private readonly maxWaitMs: number,
  ) {}

  submit(records: TelemetryEnvelope[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.records.push(...records);
      this.waiters.push({ resolve, reject });
      if (this.records.length >= this.maxRecords) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.records.length) return;
    const records = this.records;
    const waiters = this.waiters;
    this.records = [];
    this.waiters = [];
    // One id per batch, fixed before the add: if the client resends the add after an uncertain failure
    // (a reconnect), BullMQ keeps the first. Hashing the content instead cost a SHA-256 over every record.
    const jobId = `ingest-${this.epoch}-${++this.sequence}`;
    const queued = this.queue.add('telemetry.ingest', { records }, { jobId }).then(
      () => waiters.forEach((w) => w.resolve()),
      (error: unknown) => waiters.forEach((w) => w.reject(error)),
    );
    this.inFlight.add(queued);
    void queued.finally(() => this.inFlight.delete(queued));
  }

  /** Queues what is buffered and waits for every pending add (graceful shutdown). */
  async drain(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }
}
