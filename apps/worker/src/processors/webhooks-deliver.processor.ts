import { Inject, Injectable } from '@nestjs/common';
import { WebhookDeliverer } from '../../../../libs/application/src/webhooks/webhook-deliverer.js';
import { JobProcessor, type JobProcessorHandler } from '../../../../libs/queue/src/job-processor.js';
import type { JobPayloads } from '../../../../libs/queue/src/jobs.js';

@Injectable()
@JobProcessor('webhooks.deliver')
export class WebhooksDeliverProcessor implements JobProcessorHandler<'webhooks.deliver'> {
  constructor(@Inject(WebhookDeliverer) private readonly deliverer: WebhookDeliverer) {}

  async handle({ deliveryId, attempt }: JobPayloads['webhooks.deliver']): Promise<void> {
    await this.deliverer.attempt(deliveryId, attempt);
  }
}
