import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AlertScanner } from '@simfleet/application';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { JobProcessor, type JobProcessorHandler, JobQueue } from '@simfleet/queue';

/**
 * The time-driven alert rules, every ALERTS_SCAN_EVERY. The schedule is a repeatable job (one per
 * cluster with BullMQ, however many workers register it), so each interval runs one scan.
 */
@Injectable()
@JobProcessor('alerts.scan')
export class AlertsScanProcessor implements JobProcessorHandler<'alerts.scan'>, OnApplicationBootstrap {
  constructor(
    @Inject(AlertScanner) private readonly scanner: AlertScanner,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.schedule('alerts.scan', this.config.alerts.scanEveryMs, {});
  }

  async handle(): Promise<void> {
    await this.scanner.scan();
  }
}
