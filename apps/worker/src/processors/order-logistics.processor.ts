import { Inject, Injectable } from '@nestjs/common';
import { OrdersService } from '../../../../libs/application/src/orders/orders.service.js';
import { JobProcessor, type JobProcessorHandler } from '../../../../libs/queue/src/job-processor.js';
import type { JobPayloads } from '../../../../libs/queue/src/jobs.js';

/** Added stock serves the orders that waited for it, oldest first. */
@Injectable()
@JobProcessor('orders.fulfil-pending')
export class OrderFulfilPendingProcessor implements JobProcessorHandler<'orders.fulfil-pending'> {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  async handle(): Promise<void> {
    await this.orders.fulfilPending();
  }
}

/** Simulated logistics (ORDER_AUTO_SHIP_AFTER): the order ships by itself. */
@Injectable()
@JobProcessor('orders.ship')
export class OrderShipProcessor implements JobProcessorHandler<'orders.ship'> {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  async handle({ orderId }: JobPayloads['orders.ship']): Promise<void> {
    await this.orders.autoShip(orderId);
  }
}

/** Simulated logistics (ORDER_AUTO_DELIVER_AFTER): the parcel arrives. */
@Injectable()
@JobProcessor('orders.deliver')
export class OrderDeliverProcessor implements JobProcessorHandler<'orders.deliver'> {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  async handle({ orderId }: JobPayloads['orders.deliver']): Promise<void> {
    await this.orders.autoDeliver(orderId);
  }
}
