import { Inject, Injectable } from '@nestjs/common';
import { SmsService } from '@simfleet/application';
import { JobProcessor, type JobProcessorHandler, type JobPayloads } from '@simfleet/queue';

/** One delivery attempt of the network simulator's SMS to the device (docs/sms.md). */
@Injectable()
@JobProcessor('sms.deliver')
export class SmsDeliverProcessor implements JobProcessorHandler<'sms.deliver'> {
  constructor(@Inject(SmsService) private readonly sms: SmsService) {}

  async handle({ messageId, attempt }: JobPayloads['sms.deliver']): Promise<void> {
    await this.sms.attemptDelivery(messageId, attempt);
  }
}
