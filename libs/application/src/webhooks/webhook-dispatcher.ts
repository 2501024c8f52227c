import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { Clock, newId, endpointWants } from '@simfleet/domain';
import { Database, WebhookRepository, type NewDelivery } from '@simfleet/persistence';
import { JobQueue } from '@simfleet/queue';

const EVENT_BATCH = 1_000;
const LEASE_BATCH = 200;

/**
 * From the outbox to the queue, in the worker role. Each tick (1) turns undispatched events into one
 * delivery per matching enabled endpoint and marks them dispatched, in one transaction, and (2) leases
 * due deliveries and queues a `webhooks.deliver` job for each. Both steps claim rows with
 * `for update skip locked`, so several workers share the work; the lease makes a lost job due again.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookDispatcher');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(WebhookRepository) private readonly webhooks: WebhookRepository,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((error: unknown) =>
          this.logger.warn(`webhook dispatch failed, retrying next tick: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, this.config.webhooks.pollIntervalMs);
  }

  async tick(): Promise<void> {
    while (!this.stopped && (await this.fanOut()) === EVENT_BATCH);
    if (!this.stopped) await this.queueDue();
  }

  /** Returns how many events it claimed. */
  async fanOut(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const events = await this.webhooks.claimUndispatchedEvents(tx, EVENT_BATCH);
      if (!events.length) return 0;
      const now = this.clock.now();
      const accountIds = [...new Set(events.map((e) => e.accountId).filter((id): id is string => id !== null))];
      const endpoints = await this.webhooks.enabledEndpointsOf(tx, accountIds);
      const firstDelay = this.config.webhooks.retryScheduleMs[0];
      const deliveries: NewDelivery[] = [];
      for (const event of events) {
        for (const endpoint of endpoints) {
          // An endpoint receives the events recorded after its registration, not the backlog before it.
          if (endpoint.accountId !== event.accountId || endpoint.createdAt > event.recordedAt || !endpointWants(endpoint, event.type)) continue;
          deliveries.push({
            id: newId('dlv'),
            endpointId: endpoint.id,
            accountId: endpoint.accountId,
            eventId: event.id,
            retryIndex: 1,
            nextAttemptAt: new Date(now.getTime() + firstDelay),
          });
        }
      }
      await this.webhooks.insertDeliveries(tx, deliveries, now);
      await this.webhooks.markDispatched(
        tx,
        events.map((e) => e.id),
        now,
      );
      return events.length;
    });
  }

  async queueDue(): Promise<void> {
    const now = this.clock.now();
    // Long enough for one attempt (timeout shared by its redirects) plus DNS: past it, the delivery is due again.
    const leaseUntil = new Date(now.getTime() + this.config.webhooks.timeoutMs + 60_000);
    const leased = await this.db.transaction((tx) => this.webhooks.leaseDueDeliveries(tx, now, leaseUntil, LEASE_BATCH));
    for (const delivery of leased) {
      await this.queue.add(
        'webhooks.deliver',
        { deliveryId: delivery.id, attempt: delivery.attemptCount },
        { jobId: `${delivery.id}-${delivery.attemptCount}` },
      );
    }
  }
}
