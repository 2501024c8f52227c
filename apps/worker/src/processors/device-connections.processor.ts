import { Inject, Injectable } from '@nestjs/common';
import { RecordConnections } from '@simfleet/application';
import { JobProcessor, type JobProcessorHandler, type JobPayloads } from '@simfleet/queue';

@Injectable()
@JobProcessor('device.connections')
export class DeviceConnectionsProcessor implements JobProcessorHandler<'device.connections'> {
  constructor(@Inject(RecordConnections) private readonly connections: RecordConnections) {}

  async handle(payload: JobPayloads['device.connections']): Promise<void> {
    await this.connections.execute(payload.changes);
  }
}
