import { Inject, Injectable } from '@nestjs/common';
import type { Order, OrderStatus } from '../../../domain/src/orders/order.js';
import { Database, type SqlExecutor } from '../database.js';

interface OrderRow {
  id: string;
  account_id: string;
  quantity: number;
  form_factor: Order['formFactor'];
  shipping_address: Order['shippingAddress'];
  status: OrderStatus;
  status_reason: string | null;
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
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

@Injectable()
export class OrderRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(tx: SqlExecutor, order: Order): Promise<void> {
    await tx.query(
      'insert into orders (id, account_id, quantity, form_factor, shipping_address, status, status_reason, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $8)',
      [order.id, order.accountId, order.quantity, order.formFactor, order.shippingAddress ? JSON.stringify(order.shippingAddress) : null, order.status, order.statusReason, order.createdAt],
    );
  }

  async findById(id: string, tx: SqlExecutor = this.db, forUpdate = false): Promise<Order | null> {
    const [row] = await tx.query<OrderRow>(`select * from orders where id = $1${forUpdate ? ' for update' : ''}`, [id]);
    return row ? toOrder(row) : null;
  }

  async setStatus(tx: SqlExecutor, id: string, status: OrderStatus, reason: string | null, at: Date): Promise<Order> {
    const [row] = await tx.query<OrderRow>('update orders set status = $2, status_reason = $3, updated_at = $4 where id = $1 returning *', [id, status, reason, at]);
    return toOrder(row);
  }

  async list(accountId: string, limit: number, after?: string): Promise<Order[]> {
    const rows = await this.db.query<OrderRow>(
      'select * from orders where account_id = $1 and ($2::text is null or id < $2) order by id desc limit $3',
      [accountId, after ?? null, limit],
    );
    return rows.map(toOrder);
  }
}
