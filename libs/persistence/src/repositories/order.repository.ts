import { Inject, Injectable } from '@nestjs/common';
import type { Order, OrderStatus } from '@simfleet/domain';
import { Database, type SqlExecutor } from '../database.js';

interface OrderRow {
  id: string;
  account_id: string;
  quantity: number;
  form_factor: Order['formFactor'];
  shipping_address: Order['shippingAddress'];
  status: OrderStatus;
  status_reason: string | null;
  carrier: string | null;
  tracking_number: string | null;
  shipped_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toOrder = (r: OrderRow): Order => ({
  id: r.id,
  accountId: r.account_id,
  quantity: r.quantity,
  formFactor: r.form_factor,
  shippingAddress: r.shipping_address,
  status: r.status,
  statusReason: r.status_reason,
  carrier: r.carrier,
  trackingNumber: r.tracking_number,
  shippedAt: r.shipped_at,
  deliveredAt: r.delivered_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

@Injectable()
export class OrderRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(tx: SqlExecutor, order: Order): Promise<void> {
    await tx.query(
      'insert into orders (id, account_id, quantity, form_factor, shipping_address, status, status_reason, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $8)',
      [
        order.id,
        order.accountId,
        order.quantity,
        order.formFactor,
        order.shippingAddress ? JSON.stringify(order.shippingAddress) : null,
        order.status,
        order.statusReason,
        order.createdAt,
      ],
    );
  }

  async findById(id: string, tx: SqlExecutor = this.db, forUpdate = false): Promise<Order | null> {
    const [row] = await tx.query<OrderRow>(`select * from orders where id = $1${forUpdate ? ' for update' : ''}`, [id]);
    return row ? toOrder(row) : null;
  }

  async setStatus(tx: SqlExecutor, id: string, status: OrderStatus, reason: string | null, at: Date): Promise<Order> {
    const [row] = await tx.query<OrderRow>('update orders set status = $2, status_reason = $3, updated_at = $4 where id = $1 returning *', [
      id,
      status,
      reason,
      at,
    ]);
    return toOrder(row);
  }

  /** Records the shipment: carrier and tracking number as given. */
  async markShipped(tx: SqlExecutor, id: string, carrier: string | null, trackingNumber: string | null, at: Date): Promise<Order> {
    const [row] = await tx.query<OrderRow>(
      "update orders set status = 'shipped', status_reason = null, carrier = $2, tracking_number = $3, shipped_at = $4, updated_at = $4 where id = $1 returning *",
      [id, carrier, trackingNumber, at],
    );
    return toOrder(row);
  }

  async markDelivered(tx: SqlExecutor, id: string, at: Date): Promise<Order> {
    const [row] = await tx.query<OrderRow>(
      "update orders set status = 'delivered', status_reason = null, delivered_at = $2, updated_at = $2 where id = $1 returning *",
      [id, at],
    );
    return toOrder(row);
  }

  /** Ids of the pending orders, oldest first: the order in which added stock serves them. */
  async pendingIds(limit: number): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>("select id from orders where status = 'pending' order by created_at, id limit $1", [limit]);
    return rows.map((r) => r.id);
  }

  /** Orders of every account (admin), newest first. */
  async listAll(filter: { status?: OrderStatus; accountId?: string }, limit: number, after?: string): Promise<Order[]> {
    const rows = await this.db.query<OrderRow>(
      'select * from orders where ($1::text is null or status = $1) and ($2::text is null or account_id = $2) and ($3::text is null or id < $3) order by id desc limit $4',
      [filter.status ?? null, filter.accountId ?? null, after ?? null, limit],
    );
    return rows.map(toOrder);
  }

  async list(accountId: string, limit: number, after?: string): Promise<Order[]> {
    const rows = await this.db.query<OrderRow>(
      'select * from orders where account_id = $1 and ($2::text is null or id < $2) order by id desc limit $3',
      [accountId, after ?? null, limit],
    );
    return rows.map(toOrder);
  }
}
