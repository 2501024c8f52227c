import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { FleetMaintenance } from '@simfleet/application';
import { JobProcessor, type JobProcessorHandler, JobQueue, type JobPayloads } from '@simfleet/queue';

/** Compaction often (the summary sums what is not compacted yet), repair once a day (it recounts every SIM). */
const COMPACT_EVERY_MS = 30_000;
const REPAIR_EVERY_MS = 24 * 3_600_000;

@Injectable()
@JobProcessor('fleet.compact')
export class FleetCompactProcessor implements JobProcessorHandler<'fleet.compact'>, OnApplicationBootstrap {
  constructor(
    @Inject(FleetMaintenance) private readonly maintenance: FleetMaintenance,
    @Inject(JobQueue) private readonly queue: JobQueue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.schedule('fleet.compact', COMPACT_EVERY_MS, {});
  }

  async handle(): Promise<void> {
    await this.maintenance.compact();
  }
}

@Injectable()
@JobProcessor('fleet.repair')
export class FleetRepairProcessor implements JobProcessorHandler<'fleet.repair'>, OnApplicationBootstrap {
  constructor(
    @Inject(FleetMaintenance) private readonly maintenance: FleetMaintenance,
    @Inject(JobQueue) private readonly queue: JobQueue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.schedule('fleet.repair', REPAIR_EVERY_MS, {});
  }

  async handle({ accountId, rebuildRollups }: JobPayloads['fleet.repair']): Promise<void> {
    await this.maintenance.repair(accountId, rebuildRollups);
  }
}
