import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { previousPeriod, InvoicingService } from '@simfleet/application';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { Clock } from '@simfleet/domain';
import { JobProcessor, type JobProcessorHandler, JobQueue, type JobPayloads } from '@simfleet/queue';

/** Calendar month of an instant in UTC, 'YYYY-MM'. */
const monthOf = (at: Date) => at.toISOString().slice(0, 7);

/**
 * The monthly run: drafts last month's invoice of every account that has none yet, then finalizes the
 * drafts whose period ended more than BILLING_LATE_GRACE ago. Idempotent, so it may run any number of times.
 */
@Injectable()
@JobProcessor('invoices.monthly')
export class InvoicesMonthlyProcessor implements JobProcessorHandler<'invoices.monthly'> {
  private readonly logger = new Logger('InvoicesMonthly');

  constructor(
    @Inject(InvoicingService) private readonly invoicing: InvoicingService,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle({ period }: JobPayloads['invoices.monthly']): Promise<void> {
    const target = period ?? previousPeriod(monthOf(this.clock.now()));
    const drafted = await this.invoicing.draftAll(target, true);
    const finalized = await this.invoicing.finalizeDue(this.config.billing.lateGraceMs);
    if (drafted.length || finalized.length) this.logger.log(`invoices ${target}: ${drafted.length} drafted, ${finalized.length} finalized`);
  }
}

/** How often the worker checks whether the monthly run is due (a check on a timer: no cron dependency). */
export const INVOICE_CHECK_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Enqueues `invoices.monthly` at startup and every hour. The job id names the month and the hour, so
 * several workers (servers shape) enqueue it once per hour; the run itself only does what is missing.
 */
@Injectable()
export class InvoiceScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private readonly logger = new Logger('InvoiceScheduler');

  constructor(
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), INVOICE_CHECK_INTERVAL_MS);
    this.timer.unref();
    void this.tick();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async tick(): Promise<void> {
    const now = this.clock.now();
    try {
      await this.queue.add('invoices.monthly', {}, { jobId: `invoices.monthly-${now.toISOString().slice(0, 13)}` });
    } catch (error) {
      this.logger.warn(`could not enqueue the monthly invoice run: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
