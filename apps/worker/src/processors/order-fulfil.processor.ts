import { Inject, Injectable } from '@nestjs/common';
import { OrdersService } from '@simfleet/application';
import { JobProcessor, type JobProcessorHandler, type JobPayloads } from '@simfleet/queue';

@Injectable()
@JobProcessor('orders.fulfil')
export class OrderFulfilProcessor implements JobProcessorHandler<'orders.fulfil'> {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  async handle({ orderId }: JobPayloads['orders.fulfil']): Promise<void> {
    await this.orders.fulfil(orderId);
  }
}
