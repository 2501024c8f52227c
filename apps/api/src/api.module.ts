import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AccountsController } from './accounts/accounts.controller.js';
import { AdminController } from './admin/admin.controller.js';
import { EventsController } from './events/events.controller.js';
import { IdempotencyInterceptor } from './http/idempotency.interceptor.js';
import { OrdersController } from './orders/orders.controller.js';
import { SimsController } from './sims/sims.controller.js';
import { StockController } from './stock/stock.controller.js';

/** The REST API of operators and admins (`/v1`). */
@Module({
  controllers: [AccountsController, StockController, OrdersController, SimsController, EventsController, AdminController],
  providers: [{ provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor }],
})
export class ApiModule {}
