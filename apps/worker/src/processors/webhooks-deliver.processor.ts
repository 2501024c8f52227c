import { Inject, Injectable } from '@nestjs/common';
import { WebhookDeliverer } from '@simfleet/application';
import { JobProcessor, type JobProcessorHandler, type JobPayloads } from '@simfleet/queue';

@Injectable()
@JobProcessor('webhooks.deliver')
export class WebhooksDeliverProcessor implements JobProcessorHandler<'webhooks.deliver'> {
  constructor(@Inject(WebhookDeliverer) private readonly deliverer: WebhookDeliverer) {}

  async handle({ deliveryId, attempt }: JobPayloads['webhooks.deliver']): Promise<void> {
    await this.deliverer.attempt(deliveryId, attempt);
  }
}
