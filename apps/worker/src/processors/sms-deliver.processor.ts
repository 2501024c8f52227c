import { Inject, Injectable } from '@nestjs/common';
import { SmsService } from '../../../../libs/application/src/sms/sms.service.js';
import { JobProcessor, type JobProcessorHandler } from '../../../../libs/queue/src/job-processor.js';
import type { JobPayloads } from '../../../../libs/queue/src/jobs.js';

/** One delivery attempt of the network simulator's SMS to the device (docs/sms.md). */
@Injectable()
@JobProcessor('sms.deliver')
export class SmsDeliverProcessor implements JobProcessorHandler<'sms.deliver'> {
  constructor(@Inject(SmsService) private readonly sms: SmsService) {}

  async handle({ messageId, attempt }: JobPayloads['sms.deliver']): Promise<void> {
    await this.sms.attemptDelivery(messageId, attempt);
  }
}
