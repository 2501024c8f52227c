import { Inject, Injectable } from '@nestjs/common';
import { OrdersService } from '@simfleet/application';
import { JobProcessor, type JobProcessorHandler, type JobPayloads } from '@simfleet/queue';

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
