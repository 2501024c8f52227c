import { Inject, Injectable } from '@nestjs/common';
import { OrdersService } from '../../../../libs/application/src/orders/orders.service.js';
import { JobProcessor, type JobProcessorHandler } from '../../../../libs/queue/src/job-processor.js';
import type { JobPayloads } from '../../../../libs/queue/src/jobs.js';

@Injectable()
@JobProcessor('orders.fulfil')
export class OrderFulfilProcessor implements JobProcessorHandler<'orders.fulfil'> {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  async handle({ orderId }: JobPayloads['orders.fulfil']): Promise<void> {
    await this.orders.fulfil(orderId);
  }
}
