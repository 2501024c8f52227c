import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  InvoicingService,
  type InvoiceView,
  PricePlansService,
  MAX_USAGE_EVENTS_PER_REQUEST,
  UnparsableLine,
  UsageEventsService,
} from '@simfleet/application';
import { actorOf, type Principal } from '@simfleet/auth';
import { CHANNELS, pricePlanSchema } from '@simfleet/billing';
import { DomainError, ErrorCode, type FieldProblem, decodeCursor, decodeSequenceCursor, encodeCursor } from '@simfleet/domain';
import {
  AllowAdminToo,
  CurrentAccountId,
  CurrentPrincipal,
  RequireScope,
  ApiRoute,
  ApiJsonBody,
  ApiQueryFrom,
  pageQuery,
  ZodPipe,
  unsafeTextProblems,
  instantInput,
  ApiBodyLimit,
  openApiSchema,
} from '@simfleet/http';
import { pageOf } from '../http/views.js';

const period = z
  .string()
  .max(7)
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, { message: 'a calendar month, YYYY-MM' });
const instant = z.string().describe('ISO 8601 date-time');
const decimal = z.string().describe('Decimal string');

// ---- views (OpenAPI) ----
const pricePlanView = z.object({
  id: z.string(),
  name: z.string(),
  plan: z.record(z.string(), z.unknown()),
  isDefault: z.boolean(),
  createdAt: instant,
  updatedAt: instant,
});
const assignmentView = z.object({ accountId: z.string(), effectiveFrom: period, planId: z.string(), actor: z.string(), assignedAt: instant });
const lineView = z.object({
  product: z.string(),
  channel: z.string(),
  description: z.string(),
  quantity: decimal,
  unit: z.string(),
  unitPrice: decimal,
  amount: decimal.describe('Rounded once, to the currency’s minor unit unless the plan says otherwise'),
  adjusts: period.optional().describe('Present on an adjustment line: the finalized period it corrects'),
});
const invoiceView = z.object({
  id: z.string(),
  accountId: z.string(),
  status: z.enum(['draft', 'finalized']),
  planId: z.string(),
  currency: z.string(),
  period: z.object({ id: period, start: instant, end: instant, timeZone: z.string() }),
  lines: z.array(lineView),
  subtotals: z.array(z.object({ product: z.string(), amount: decimal })),
  total: decimal,
  unrated: z.array(z.object({ channel: z.string(), type: z.string(), reason: z.string(), count: z.number().int(), examples: z.array(z.string()) })),
  stats: z.record(z.string(), z.number()),
  provisional: z.boolean().describe('The period had not ended when the invoice was generated'),
  adjusts: z.array(period),
  generatedAt: instant,
  finalizedAt: instant.nullable(),
});
const usageEventView = z.object({
  id: z.string(),
  channel: z.string(),
  type: z.string(),
  at: instant,
  receivedAt: instant,
  event: z.record(z.string(), z.unknown()),
});
const usageEventsResultView = z.object({
  accepted: z.number().int().describe('Events stored by this request'),
  duplicates: z.number().int().describe('Events whose id the account had already used (never counted twice)'),
  rejected: z.array(
    z.object({ index: z.number().int(), id: z.string().optional(), errors: z.array(z.object({ field: z.string(), message: z.string() })) }),
  ),
});

// ---- inputs ----
const putPlanParams = z.object({ id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'letters, digits, ".", "_" or "-" (1–64)' }) });
const assignBody = z.object({ planId: z.string().min(1).max(64), effectiveFrom: period }).strict();
const draftBody = z
  .object({ period, accountId: z.string().min(1).max(64).optional().describe('Admin: one account; omitted: every account') })
  .strict();
const invoiceListParams = z
  .object({
    ...pageQuery,
    period: period.optional(),
    status: z.enum(['draft', 'finalized']).optional(),
    accountId: z.string().min(1).max(64).optional().describe('Admin only: one account'),
  })
  .strict();
const usageParams = z.object({ ...pageQuery }).strict();
const usageEventListParams = z
  .object({
    ...pageQuery,
    channel: z.enum(CHANNELS as [string, ...string[]]).optional(),
    type: z.string().min(1).max(64).optional(),
    from: instantInput('`at` ≥ from').optional(),
    to: instantInput('`at` < to').optional(),
  })
  .strict();
const lineParams = z.object({
  id: z.string().min(1).max(64),
  // Digits only: `Number(' ')` is 0, and ` ` is not line 0.
  n: z
    .string()
    .regex(/^\d{1,6}$/, { message: 'a line index: 0, 1, 2…' })
    .transform(Number),
});

/** A full batch of events (MAX_USAGE_EVENTS_PER_REQUEST) at a few hundred bytes each. */
const USAGE_EVENTS_MAX_BYTES = 8 * 1024 * 1024;

const accountOf = (principal: Principal): string | undefined => (principal.kind === 'account' ? principal.accountId : undefined);

@ApiTags('billing')
@Controller('v1/price-plans')
@RequireScope('admin')
export class PricePlansController {
  constructor(@Inject(PricePlansService) private readonly plans: PricePlansService) {}

  @Get()
  @ApiRoute({ schema: z.object({ data: z.array(pricePlanView) }), description: 'Every price plan; the default plan is always present' })
  async list() {
    return { data: await this.plans.list() };
  }

  @Get(':id')
  @ApiParam({ name: 'id' })
  @ApiRoute({ schema: pricePlanView }, 404)
  get(@Param('id') id: string) {
    return this.plans.get(id);
  }

  @Put(':id')
  @ApiParam({ name: 'id' })
  @ApiJsonBody(pricePlanSchema, 'The plan (docs/billing.md, "Price plan"); `id` may be omitted. Prices are decimal strings.', {
    maxBytes: 1024 * 1024,
  })
  @ApiRoute({ schema: pricePlanView, description: 'The stored plan, replaced' }, 422)
  @ApiResponse({
    status: 201,
    description: 'The stored plan, created',
    content: { 'application/json': { schema: openApiSchema(pricePlanView, 'output') } },
  })
  async put(
    @Param(new ZodPipe(putPlanParams, 'query')) params: z.infer<typeof putPlanParams>,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { plan, created } = await this.plans.put(params.id, body);
    if (created) reply.status(201);
    return plan;
  }
}

@ApiTags('billing')
@Controller('v1/accounts')
@RequireScope('admin')
export class AccountPricePlanController {
  constructor(@Inject(PricePlansService) private readonly plans: PricePlansService) {}

  @Post(':id/price-plan')
  @HttpCode(201)
  @ApiParam({ name: 'id', description: 'Account id' })
  @ApiJsonBody(assignBody, 'The plan applies to the periods from `effectiveFrom` (YYYY-MM) on; the same month again replaces it')
  @ApiRoute({ status: 201, schema: assignmentView }, 404, 422)
  assign(@Param('id') accountId: string, @CurrentPrincipal() principal: Principal, @Body(new ZodPipe(assignBody)) body: z.infer<typeof assignBody>) {
    return this.plans.assign(accountId, body.planId, body.effectiveFrom, actorOf(principal));
  }

  @Get(':id/price-plan')
  @ApiParam({ name: 'id', description: 'Account id' })
  @ApiRoute(
    {
      schema: z.object({ accountId: z.string(), defaultPlanId: z.string(), assignments: z.array(assignmentView) }),
      description: 'Assignment history, oldest first',
    },
    404,
  )
  history(@Param('id') accountId: string) {
    return this.plans.history(accountId);
  }
}

/**
 * Splits an NDJSON body; blank lines are skipped but still counted, so `index` is the 0-based line number.
 * Text that cannot be stored (NUL, unpaired surrogates) refuses the whole request, as in a JSON array body.
 */
function ndjsonItems(text: string): unknown[] {
  const lines = text.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  const unsafe: FieldProblem[] = [];
  const items = lines.map((line, index) => {
    if (!line.trim()) return new UnparsableLine('empty line');
    try {
      const item = JSON.parse(line) as unknown;
      unsafe.push(...unsafeTextProblems(item, String(index)));
      return item;
    } catch (error) {
      return new UnparsableLine(`invalid JSON: ${(error as Error).message}`);
    }
  });
  if (unsafe.length)
    throw DomainError.validation(`The request is not valid: ${unsafe.map((p) => `${p.field}: ${p.message}`).join('; ')}`, unsafe.slice(0, 20));
  return items;
}

@ApiTags('billing')
@Controller('v1/usage-events')
export class UsageEventsController {
  constructor(@Inject(UsageEventsService) private readonly usageEvents: UsageEventsService) {}

  @Post()
  @HttpCode(200)
  @RequireScope('write')
  @ApiConsumes('application/json', 'application/x-ndjson')
  @ApiBodyLimit(USAGE_EVENTS_MAX_BYTES)
  @ApiBody({
    description: `A JSON array of events, or NDJSON (one event per line), at most ${MAX_USAGE_EVENTS_PER_REQUEST}. Each event: {id, channel, type, at, …} (docs/billing.md, "Events")`,
    schema: { type: 'array', items: { type: 'object' }, maxItems: MAX_USAGE_EVENTS_PER_REQUEST },
  })
  @ApiRoute(
    {
      schema: usageEventsResultView,
      description: 'Valid events are stored even when others are rejected; each rejected event is listed with its index',
    },
    413,
    415,
    422,
  )
  record(@CurrentAccountId() accountId: string, @Body() body: unknown) {
    let items: unknown[];
    if (typeof body === 'string') items = ndjsonItems(body);
    else if (Array.isArray(body)) items = body;
    else
      throw DomainError.validation('The body must be a JSON array of events or NDJSON (Content-Type: application/x-ndjson)', [
        { field: '(body)', message: 'expected an array of events' },
      ]);
    return this.usageEvents.record(accountId, items);
  }

  @Get()
  @RequireScope('read')
  @ApiQueryFrom(usageEventListParams)
  @ApiRoute({ schema: pageOf(usageEventView), description: 'Usage events in the order they were received' }, 422)
  async list(@CurrentAccountId() accountId: string, @Query(new ZodPipe(usageEventListParams, 'query')) query: z.infer<typeof usageEventListParams>) {
    const afterSeq = query.cursor ? decodeSequenceCursor(query.cursor) : undefined;
    const rows = await this.usageEvents.list({
      accountId,
      channel: query.channel,
      type: query.type,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      afterSeq,
      limit: query.limit + 1,
    });
    const data = rows.slice(0, query.limit);
    return {
      data: data.map((e) => ({ id: e.id, channel: e.channel, type: e.type, at: e.at, receivedAt: e.receivedAt, event: e.event })),
      nextCursor: rows.length > query.limit ? encodeCursor(String(data[data.length - 1].seq)) : null,
    };
  }
}

const csvCell = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** The invoice as CSV: one row per line, then a row per product subtotal and the total. */
export function invoiceCsv(invoice: InvoiceView): string {
  const rows: string[][] = [['line', 'product', 'channel', 'description', 'quantity', 'unit', 'unitPrice', 'amount', 'currency', 'adjusts']];
  invoice.lines.forEach((l, n) =>
    rows.push([String(n), l.product, l.channel, l.description, l.quantity, l.unit, l.unitPrice, l.amount, invoice.currency, l.adjusts ?? '']),
  );
  for (const s of invoice.subtotals) rows.push(['subtotal', s.product, '', '', '', '', '', s.amount, invoice.currency, '']);
  rows.push(['total', '', '', '', '', '', '', invoice.total, invoice.currency, '']);
  return `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

@ApiTags('billing')
@Controller('v1/invoices')
export class InvoicesController {
  constructor(@Inject(InvoicingService) private readonly invoicing: InvoicingService) {}

  @Post()
  @HttpCode(201)
  @RequireScope('write')
  @AllowAdminToo()
  @ApiJsonBody(draftBody, 'Admin key: one account (`accountId`) or every account. Account key (`write`): its own draft only.')
  @ApiRoute(
    {
      status: 201,
      schema: z.object({ data: z.array(invoiceView) }),
      description: 'The drafts built (a draft of the same period is regenerated in place)',
    },
    404,
    409,
    422,
  )
  async draft(@CurrentPrincipal() principal: Principal, @Body(new ZodPipe(draftBody)) body: z.infer<typeof draftBody>) {
    const own = accountOf(principal);
    if (own !== undefined && body.accountId !== undefined && body.accountId !== own) throw DomainError.notFound('Account', body.accountId);
    const accountId = own ?? body.accountId;
    return { data: accountId ? [await this.invoicing.draft(accountId, body.period)] : await this.invoicing.draftAll(body.period) };
  }

  @Get()
  @RequireScope('read')
  @AllowAdminToo()
  @ApiQueryFrom(invoiceListParams)
  @ApiRoute({ schema: pageOf(invoiceView), description: 'An account key sees its own invoices; the admin key every account’s' }, 422)
  async list(@CurrentPrincipal() principal: Principal, @Query(new ZodPipe(invoiceListParams, 'query')) query: z.infer<typeof invoiceListParams>) {
    const own = accountOf(principal);
    if (own !== undefined && query.accountId !== undefined && query.accountId !== own) {
      throw new DomainError(ErrorCode.Forbidden, 'An account key lists its own invoices only: omit accountId (it is for the platform admin key)', {
        errors: [{ field: 'accountId', message: 'not allowed with an account key, except its own account id' }],
      });
    }
    const rows = await this.invoicing.list({
      accountId: own ?? query.accountId,
      period: query.period,
      status: query.status,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
      limit: query.limit + 1,
    });
    const data = rows.slice(0, query.limit);
    return { data, nextCursor: rows.length > query.limit ? encodeCursor(data[data.length - 1].id) : null };
  }

  @Get(':id')
  @RequireScope('read')
  @AllowAdminToo()
  @ApiParam({ name: 'id' })
  @ApiProduces('application/json', 'text/csv')
  @ApiRoute(
    {
      schema: invoiceView,
      description: 'JSON, or CSV with `Accept: text/csv`: a header row, one row per line, then a row per product subtotal and the total',
      alsoAs: {
        'text/csv': { schema: { type: 'string', description: 'line,product,channel,description,quantity,unit,unitPrice,amount,currency,adjusts' } },
      },
    },
    404,
  )
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const invoice = await this.invoicing.get(id, accountOf(principal));
    if (accept?.includes('text/csv')) {
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="${invoice.id}-${invoice.period.id}.csv"`);
      return invoiceCsv(invoice);
    }
    return invoice;
  }

  @Get(':id/lines/:n/usage')
  @RequireScope('read')
  @AllowAdminToo()
  @ApiParam({ name: 'id' })
  @ApiParam({ name: 'n', description: '0-based index of the line in `lines`' })
  @ApiQueryFrom(usageParams)
  @ApiRoute(
    {
      schema: z.object({ line: lineView, data: z.array(z.record(z.string(), z.unknown())), nextCursor: z.string().nullable() }),
      description: 'The usage records behind one line',
    },
    404,
    422,
  )
  async usage(
    @CurrentPrincipal() principal: Principal,
    @Param(new ZodPipe(lineParams, 'query')) params: z.infer<typeof lineParams>,
    @Query(new ZodPipe(usageParams, 'query')) query: z.infer<typeof usageParams>,
  ) {
    const offset = query.cursor ? decodeSequenceCursor(query.cursor) : 0;
    const result = await this.invoicing.lineUsage(params.id, params.n, accountOf(principal), offset, query.limit);
    return { line: result.line, data: result.data, nextCursor: result.nextOffset !== null ? encodeCursor(String(result.nextOffset)) : null };
  }

  @Post(':id/finalize')
  @HttpCode(200)
  @RequireScope('admin')
  @ApiParam({ name: 'id' })
  @ApiRoute({ schema: invoiceView, description: 'The finalized invoice, rebuilt from the usage received so far; it never changes again' }, 404, 409)
  finalize(@Param('id') id: string) {
    return this.invoicing.finalize(id);
  }
}

export const BILLING_CONTROLLERS = [PricePlansController, AccountPricePlanController, UsageEventsController, InvoicesController];
