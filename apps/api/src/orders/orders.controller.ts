import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { OrdersService } from '@simfleet/application';
import { FORM_FACTORS } from '@simfleet/domain';
import { CurrentAccountId, RequireScope, ApiRoute, ApiJsonBody, ApiQueryFrom, pageQuery, ZodPipe } from '@simfleet/http';
import { orderView, pageOf } from '../http/views.js';

const orderBody = z
  .object({
    quantity: z.number().int().min(1).max(100_000),
    formFactor: z.enum(FORM_FACTORS),
    shippingAddress: z
      .object({
        name: z.string().min(1).max(200),
        line1: z.string().min(1).max(200),
        line2: z.string().max(200).optional(),
        postalCode: z.string().min(1).max(20),
        city: z.string().min(1).max(100),
        country: z
          .string()
          .max(64)
          .regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code'),
      })
      .strict()
      .optional(),
  })
  .strict();
const pageParams = z.object(pageQuery);

@ApiTags('orders')
@Controller('v1/orders')
export class OrdersController {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  @Post()
  @RequireScope('write')
  @ApiJsonBody(orderBody)
  @ApiRoute({ status: 201, schema: orderView, description: 'The order, pending until a job allocates stock' }, 422)
  create(@CurrentAccountId() accountId: string, @Body(new ZodPipe(orderBody)) body: z.infer<typeof orderBody>) {
    return this.orders.create(accountId, body);
  }

  @Get()
  @RequireScope('read')
  @ApiQueryFrom(pageParams)
  @ApiRoute({ schema: pageOf(orderView) }, 422)
  list(@CurrentAccountId() accountId: string, @Query(new ZodPipe(pageParams, 'query')) query: z.infer<typeof pageParams>) {
    return this.orders.list(accountId, query.limit, query.cursor);
  }

  @Get(':id')
  @RequireScope('read')
  @ApiRoute({ schema: orderView }, 404)
  get(@CurrentAccountId() accountId: string, @Param('id') id: string) {
    return this.orders.get(accountId, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @RequireScope('write')
  @ApiRoute({ schema: orderView, description: 'The cancelled order; its SIMs are back in stock' }, 404, 409)
  cancel(@CurrentAccountId() accountId: string, @Param('id') id: string) {
    return this.orders.cancel(accountId, id);
  }
}
