import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../../../domain/src/clock/clock.js';
import { DomainError, ErrorCode } from '../../../domain/src/errors/domain-error.js';
import { domainEvent } from '../../../domain/src/events/domain-event.js';
import { newId } from '../../../domain/src/ids.js';
import type { Order, ShippingAddress } from '../../../domain/src/orders/order.js';
import { decodeCursor, toPage, type Page } from '../../../domain/src/pagination.js';
import type { FormFactor } from '../../../domain/src/sims/sim.js';
import { Database } from '../../../persistence/src/database.js';
import { EventRepository } from '../../../persistence/src/repositories/event.repository.js';
import { OrderRepository } from '../../../persistence/src/repositories/order.repository.js';
import { SimRepository } from '../../../persistence/src/repositories/sim.repository.js';
import { JobQueue } from '../../../queue/src/job-queue.js';

@Injectable()
export class OrdersService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(OrderRepository) private readonly orders: OrderRepository,
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async create(accountId: string, input: { quantity: number; formFactor: FormFactor; shippingAddress?: ShippingAddress }): Promise<Order> {
    const now = this.clock.now();
    const order: Order = {
      id: newId('ord'),
      accountId,
      quantity: input.quantity,
      formFactor: input.formFactor,
      shippingAddress: input.shippingAddress ?? null,
      status: 'pending',
      statusReason: 'awaiting allocation',
      createdAt: now,
      updatedAt: now,
    };
    await this.db.transaction(async (tx) => {
      await this.orders.insert(tx, order);
      await this.events.append(tx, [domainEvent('order.created', accountId, order.id, { orderId: order.id, quantity: order.quantity, formFactor: order.formFactor }, now)]);
    });
    await this.queue.add('orders.fulfil', { orderId: order.id }, { jobId: `fulfil-${order.id}` });
    return order;
  }

  async get(accountId: string, id: string): Promise<Order> {
    const order = await this.orders.findById(id);
    if (!order || order.accountId !== accountId) throw DomainError.notFound('Order', id);
    return order;
  }

  async list(accountId: string, limit: number, cursor?: string): Promise<Page<Order>> {
    const rows = await this.orders.list(accountId, limit + 1, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (o) => o.id);
  }

  /**
   * Reserves stock SIMs for a pending order; they appear in the account as `inventory`. Without enough
   * stock the order stays pending with a visible reason, and fulfilment is tried again when stock is added.
   */
  async fulfil(orderId: string): Promise<Order> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const order = await this.orders.findById(orderId, tx, true);
      if (!order) throw DomainError.notFound('Order', orderId);
      if (order.status !== 'pending') return order;
      const iccids = await this.sims.allocate(tx, order.accountId, order.id, order.formFactor, order.quantity, now);
      if (!iccids.length) {
        const reason = `not enough ${order.formFactor} SIMs in stock for ${order.quantity}`;
        if (order.statusReason === reason) return order;
        const waiting = await this.orders.setStatus(tx, order.id, 'pending', reason, now);
        await this.events.append(tx, [domainEvent('order.pending', order.accountId, order.id, { orderId: order.id, reason }, now)]);
        return waiting;
      }
      const allocated = await this.orders.setStatus(tx, order.id, 'allocated', null, now);
      await this.events.append(tx, [
        domainEvent('order.allocated', order.accountId, order.id, { orderId: order.id, iccids }, now),
        ...iccids.map((iccid) => domainEvent('sim.allocated', order.accountId, iccid, { iccid, orderId: order.id }, now)),
      ]);
      return allocated;
    });
  }

  /** Cancels an order before it ships; its SIMs go back to stock. */
  async cancel(accountId: string, id: string): Promise<Order> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const order = await this.orders.findById(id, tx, true);
      if (!order || order.accountId !== accountId) throw DomainError.notFound('Order', id);
      if (order.status !== 'pending' && order.status !== 'allocated') {
        throw new DomainError(ErrorCode.InvalidTransition, `Order ${id} is ${order.status}: only a pending or allocated order can be cancelled`, {
          orderId: id,
          currentStatus: order.status,
          allowedActions: [],
        });
      }
      const returned = await this.sims.release(tx, order.id);
      const cancelled = await this.orders.setStatus(tx, order.id, 'cancelled', 'cancelled by the customer', now);
      await this.events.append(tx, [domainEvent('order.cancelled', accountId, order.id, { orderId: order.id, simsReturnedToStock: returned }, now)]);
      return cancelled;
    });
  }
}
