import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import {
  Clock,
  DomainError,
  ErrorCode,
  domainEvent,
  newId,
  type Order,
  type ShippingAddress,
  decodeCursor,
  toPage,
  type Page,
  type FormFactor,
} from '@simfleet/domain';
import { Database, EventRepository, OrderRepository, SimRepository } from '@simfleet/persistence';
import { JobQueue } from '@simfleet/queue';

@Injectable()
export class OrdersService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(OrderRepository) private readonly orders: OrderRepository,
    @Inject(SimRepository) private readonly sims: SimRepository,
    @Inject(EventRepository) private readonly events: EventRepository,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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
      carrier: null,
      trackingNumber: null,
      shippedAt: null,
      deliveredAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.db.transaction(async (tx) => {
      await this.orders.insert(tx, order);
      await this.events.append(tx, [
        domainEvent('order.created', accountId, order.id, { orderId: order.id, quantity: order.quantity, formFactor: order.formFactor }, now),
      ]);
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
    const result = await this.db.transaction(async (tx) => {
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
    // Simulated logistics (off by default): the order ships by itself after the configured delay.
    if (result.status === 'allocated' && this.config.orders.autoShipAfterMs !== null) {
      await this.queue.add('orders.ship', { orderId: result.id }, { jobId: `ship-${result.id}`, delayMs: this.config.orders.autoShipAfterMs });
    }
    return result;
  }

  /** Serves pending orders oldest first, each as far as stock allows (queued when stock is added). */
  async fulfilPending(): Promise<void> {
    for (const id of await this.orders.pendingIds(10_000)) await this.fulfil(id);
  }

  /** Queues the fulfilment of pending orders: called after stock is added. */
  async stockAdded(): Promise<void> {
    await this.queue.add('orders.fulfil-pending', {}, { jobId: `fulfil-pending-${this.clock.now().getTime()}` });
  }

  async listAll(filter: { status?: Order['status']; accountId?: string }, limit: number, cursor?: string): Promise<Page<Order>> {
    const rows = await this.orders.listAll(filter, limit + 1, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (o) => o.id);
  }

  async getAny(id: string): Promise<Order> {
    const order = await this.orders.findById(id);
    if (!order) throw DomainError.notFound('Order', id);
    return order;
  }

  /** The logistics step (admin or simulated): an allocated order leaves the warehouse. */
  async ship(id: string, shipment: { carrier?: string; trackingNumber?: string } = {}): Promise<Order> {
    const now = this.clock.now();
    const shipped = await this.db.transaction(async (tx) => {
      const order = await this.orders.findById(id, tx, true);
      if (!order) throw DomainError.notFound('Order', id);
      if (order.status !== 'allocated') throw this.wrongState(order, 'ship', 'allocated');
      const updated = await this.orders.markShipped(tx, id, shipment.carrier ?? null, shipment.trackingNumber ?? null, now);
      await this.events.append(tx, [
        domainEvent('order.shipped', order.accountId, id, { orderId: id, carrier: updated.carrier, trackingNumber: updated.trackingNumber }, now),
      ]);
      return updated;
    });
    if (this.config.orders.autoDeliverAfterMs !== null) {
      await this.queue.add('orders.deliver', { orderId: id }, { jobId: `deliver-${id}`, delayMs: this.config.orders.autoDeliverAfterMs });
    }
    return shipped;
  }

  async deliver(id: string): Promise<Order> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const order = await this.orders.findById(id, tx, true);
      if (!order) throw DomainError.notFound('Order', id);
      if (order.status !== 'shipped') throw this.wrongState(order, 'deliver', 'shipped');
      const updated = await this.orders.markDelivered(tx, id, now);
      await this.events.append(tx, [domainEvent('order.delivered', order.accountId, id, { orderId: id }, now)]);
      return updated;
    });
  }

  /** The simulated logistics' jobs: a step already taken (by an admin, or a retried job) is not an error. */
  async autoShip(id: string): Promise<void> {
    const order = await this.orders.findById(id);
    if (order?.status === 'allocated') await this.ship(id, { carrier: 'simulated' });
  }

  async autoDeliver(id: string): Promise<void> {
    const order = await this.orders.findById(id);
    if (order?.status === 'shipped') await this.deliver(id);
  }

  private wrongState(order: Order, action: 'ship' | 'deliver', needed: Order['status']): DomainError {
    const allowed =
      order.status === 'allocated' ? ['ship', 'cancel'] : order.status === 'shipped' ? ['deliver'] : order.status === 'pending' ? ['cancel'] : [];
    return new DomainError(
      ErrorCode.InvalidTransition,
      `Order ${order.id} is ${order.status}: only a ${needed} order can ${action === 'ship' ? 'ship' : 'be delivered'}`,
      {
        orderId: order.id,
        currentStatus: order.status,
        allowedActions: allowed,
      },
    );
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
