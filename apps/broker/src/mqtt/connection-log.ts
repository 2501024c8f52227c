import { createHash } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import type { ConnectionChange } from '@simfleet/domain';
import type { JobQueue } from '@simfleet/queue';

const RETRY_AFTER_MS = 1_000;

/**
 * Queues the broker's connection changes for the worker (the connection log and sim.connected /
 * sim.disconnected). A change is queued at once; changes arriving while a job is being added go
 * together in the next one, so a reconnect storm makes few jobs without delaying a lone change. When the
 * queue is unavailable the changes are kept and retried; the broker never writes SQL itself.
 */
export class ConnectionLog {
  private pending: ConnectionChange[] = [];
  private inFlight?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly queue: JobQueue,
    readonly brokerId: string,
    private readonly logger: Logger,
  ) {}

  brokerStarted(at: Date): void {
    this.record({ kind: 'broker-started', brokerId: this.brokerId, at: at.toISOString() });
  }

  record(change: ConnectionChange): void {
    this.pending.push(change);
    if (!this.inFlight && !this.retryTimer) void this.flush();
  }

  private flush(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.inFlight) return this.inFlight;
    if (!this.pending.length) return Promise.resolve();
    const changes = this.pending;
    this.pending = [];
    // A deterministic id: re-adding after an uncertain failure does not queue the same changes twice.
    const jobId = `connections-${createHash('sha256').update(JSON.stringify(changes)).digest('base64url')}`;
    const adding = this.queue.add('device.connections', { changes }, { jobId }).then(
      () => {
        this.inFlight = undefined;
        if (this.pending.length) void this.flush();
      },
      (error: unknown) => {
        this.inFlight = undefined;
        this.pending.unshift(...changes);
        if (this.closed) {
          this.logger.error(
            `broker stopping: ${this.pending.length} connection changes not recorded (${String(error)}); its next start closes the connections it left open`,
          );
          return;
        }
        this.logger.warn(`could not queue ${changes.length} connection changes, retrying: ${String(error)}`);
        this.retryTimer = setTimeout(() => void this.flush(), RETRY_AFTER_MS);
      },
    );
    this.inFlight = adding;
    return adding;
  }

  /** Queues what is pending (shutdown). */
  async drain(): Promise<void> {
    this.closed = true;
    // The job in flight, then one last attempt for what is pending (a failure is logged, not retried).
    if (this.inFlight) await this.inFlight;
    await this.flush();
    if (this.inFlight) await this.inFlight;
  }
}
