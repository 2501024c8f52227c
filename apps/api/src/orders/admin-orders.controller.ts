import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { OrdersService } from '@simfleet/application';
import { ORDER_STATUSES } from '@simfleet/domain';
import { RequireScope, ApiRoute, ApiJsonBody, ApiQueryFrom, pageQuery, ZodPipe } from '@simfleet/http';
import { orderView, pageOf } from '../http/views.js';

const shipBody = z
  .object({
    carrier: z.string().trim().min(1).max(100).optional(),
    trackingNumber: z.string().trim().min(1).max(100).optional(),
  })
  .strict();
const listParams = z.object({ ...pageQuery, status: z.enum(ORDER_STATUSES).optional(), accountId: z.string().min(1).max(100).optional() }).strict();

/** The logistics steps, outside the platform: the warehouse ships an allocated order, the carrier delivers it. */
@ApiTags('admin')
@Controller('v1/admin/orders')
@RequireScope('admin')
export class AdminOrdersController {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  @Get()
  @ApiQueryFrom(listParams)
  @ApiRoute({ schema: pageOf(orderView), description: 'Orders of every account, newest first' }, 422)
  list(@Query(new ZodPipe(listParams, 'query')) query: z.infer<typeof listParams>) {
    return this.orders.listAll({ status: query.status, accountId: query.accountId }, query.limit, query.cursor);
  }

  @Get(':id')
  @ApiRoute({ schema: orderView }, 404)
  get(@Param('id') id: string) {
    return this.orders.getAny(id);
  }

  @Post(':id/ship')
  @HttpCode(200)
  @ApiJsonBody(shipBody)
  @ApiRoute({ schema: orderView, description: 'The order, `shipped` (only an allocated order ships)' }, 404, 409, 422)
  ship(@Param('id') id: string, @Body(new ZodPipe(shipBody.optional())) body?: z.infer<typeof shipBody>) {
    return this.orders.ship(id, body ?? {});
  }

  @Post(':id/deliver')
  @HttpCode(200)
  @ApiRoute({ schema: orderView, description: 'The order, `delivered` (only a shipped order is delivered)' }, 404, 409)
  deliver(@Param('id') id: string) {
    return this.orders.deliver(id);
  }
}
