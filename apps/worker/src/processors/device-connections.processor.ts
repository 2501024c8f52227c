import { Inject, Injectable } from '@nestjs/common';
import { RecordConnections } from '../../../../libs/application/src/telemetry/record-connections.usecase.js';
import { JobProcessor, type JobProcessorHandler } from '../../../../libs/queue/src/job-processor.js';
import type { JobPayloads } from '../../../../libs/queue/src/jobs.js';

@Injectable()
@JobProcessor('device.connections')
export class DeviceConnectionsProcessor implements JobProcessorHandler<'device.connections'> {
  constructor(@Inject(RecordConnections) private readonly connections: RecordConnections) {}

  async handle(payload: JobPayloads['device.connections']): Promise<void> {
    await this.connections.execute(payload.changes);
  }
}
