import type { SmsMessage } from '@simfleet/domain';
import type { JobQueue } from '@simfleet/queue';
import { SmsGateway, type SubmitOutcome } from './sms-gateway.js';

/**
 * The simulated mobile network: takes every message and delivers it to the device over MQTT
 * (`things/{iccid}/sms`) from the `sms.deliver` job, retrying until the validity period ends.
 */
export class NetworkSimulatorGateway extends SmsGateway {
  readonly name = 'network-simulator' as const;

  constructor(private readonly queue: JobQueue) {
    super();
  }

  async submit(message: SmsMessage): Promise<SubmitOutcome> {
    await this.queue.add('sms.deliver', { messageId: message.id, attempt: 1 }, { jobId: deliveryJobId(message.id, 1) });
    return { accepted: true, gatewayMessageId: message.id, status: 'queued' };
  }
}

export const deliveryJobId = (messageId: string, attempt: number) => `sms-deliver-${messageId}-${attempt}`;
