import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { SupportService } from '@simfleet/application';
import { actorOf, type Principal } from '@simfleet/auth';
import { SUPPORT_SEVERITIES, SUPPORT_STATUSES } from '@simfleet/domain';
import { CurrentAccountId, CurrentPrincipal, RequireScope, ApiRoute, ApiJsonBody, ApiQueryFrom, pageQuery, ZodPipe } from '@simfleet/http';
import { pageOf } from '../http/views.js';

const text = (max: number) => z.string().trim().min(1).max(max);
const openBody = z
  .object({
    subject: text(200),
    description: text(20_000),
    severity: z.enum(SUPPORT_SEVERITIES).default('normal'),
    iccids: z.array(z.string().max(64)).min(1).max(1000).describe('The SIMs of your account the case is about (1 to 1000)'),
  })
  .strict();
const messageBody = z.object({ body: text(20_000) }).strict();
const replyBody = z
  .object({
    body: text(20_000),
    status: z
      .enum(SUPPORT_STATUSES)
      .default('waiting')
      .describe('The case status after the reply: `waiting` (default: the customer’s turn), `open` or `closed`'),
  })
  .strict();
const listParams = z.object({ ...pageQuery, status: z.enum(SUPPORT_STATUSES).optional(), severity: z.enum(SUPPORT_SEVERITIES).optional() }).strict();
const adminListParams = listParams.extend({ accountId: z.string().min(1).max(100).optional() }).strict();
const pageParams = z.object(pageQuery);

const instant = z.string().describe('ISO 8601 date-time (UTC)');
export const supportCaseView = z.object({
  id: z.string(),
  accountId: z.string(),
  subject: z.string(),
  description: z.string(),
  severity: z.enum(SUPPORT_SEVERITIES),
  status: z.enum(SUPPORT_STATUSES).describe('open: support’s turn · waiting: yours · closed (a message of yours reopens it)'),
  iccids: z.array(z.string()),
  openedBy: z.string(),
  closedAt: instant.nullable(),
  createdAt: instant,
  updatedAt: instant,
});
export const supportMessageView = z.object({
  id: z.string(),
  caseId: z.string(),
  author: z.enum(['customer', 'support']),
  authorKeyId: z.string().describe('The API key (`key_…`) or signed-in user (`usr_…`) who wrote it'),
  body: z.string(),
  createdAt: instant,
});
const messageResult = z.object({ case: supportCaseView, message: supportMessageView });

@ApiTags('support')
@Controller('v1/support-cases')
export class SupportCasesController {
  constructor(@Inject(SupportService) private readonly support: SupportService) {}

  @Post()
  @HttpCode(201)
  @RequireScope('write')
  @ApiJsonBody(openBody)
  @ApiRoute({ status: 201, schema: supportCaseView, description: 'The case, `open`' }, 422)
  open(@CurrentAccountId() accountId: string, @CurrentPrincipal() principal: Principal, @Body(new ZodPipe(openBody)) body: z.infer<typeof openBody>) {
    return this.support.open(accountId, actorOf(principal), body);
  }

  @Get()
  @RequireScope('read')
  @ApiQueryFrom(listParams)
  @ApiRoute({ schema: pageOf(supportCaseView), description: 'Your cases, newest first' }, 422)
  list(@CurrentAccountId() accountId: string, @Query(new ZodPipe(listParams, 'query')) query: z.infer<typeof listParams>) {
    return this.support.list({ accountId, status: query.status, severity: query.severity }, query.limit, query.cursor);
  }

  @Get(':id')
  @RequireScope('read')
  @ApiRoute({ schema: supportCaseView }, 404)
  get(@CurrentAccountId() accountId: string, @Param('id') id: string) {
    return this.support.get(accountId, id);
  }

  @Get(':id/messages')
  @RequireScope('read')
  @ApiQueryFrom(pageParams)
  @ApiRoute({ schema: pageOf(supportMessageView), description: 'The conversation, oldest first' }, 404, 422)
  messages(
    @CurrentAccountId() accountId: string,
    @Param('id') id: string,
    @Query(new ZodPipe(pageParams, 'query')) query: z.infer<typeof pageParams>,
  ) {
    return this.support.messages(accountId, id, query.limit, query.cursor);
  }

  @Post(':id/messages')
  @HttpCode(201)
  @RequireScope('write')
  @ApiJsonBody(messageBody)
  @ApiRoute(
    { status: 201, schema: messageResult, description: 'Your message; the case becomes `open` (support’s turn), reopening a closed case' },
    404,
    422,
  )
  addMessage(
    @CurrentAccountId() accountId: string,
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body(new ZodPipe(messageBody)) body: z.infer<typeof messageBody>,
  ) {
    return this.support.addMessage({ author: 'customer', accountId, keyId: principal.actor.id }, id, body.body);
  }

  @Post(':id/close')
  @HttpCode(200)
  @RequireScope('write')
  @ApiRoute({ schema: supportCaseView, description: 'The case, `closed`' }, 404, 409)
  close(@CurrentAccountId() accountId: string, @Param('id') id: string) {
    return this.support.close(accountId, id);
  }
}

@ApiTags('admin')
@Controller('v1/admin/support-cases')
@RequireScope('admin')
export class AdminSupportCasesController {
  constructor(@Inject(SupportService) private readonly support: SupportService) {}

  @Get()
  @ApiQueryFrom(adminListParams)
  @ApiRoute({ schema: pageOf(supportCaseView), description: 'Cases of every account, newest first' }, 422)
  list(@Query(new ZodPipe(adminListParams, 'query')) query: z.infer<typeof adminListParams>) {
    return this.support.list({ accountId: query.accountId, status: query.status, severity: query.severity }, query.limit, query.cursor);
  }

  @Get(':id')
  @ApiRoute({ schema: supportCaseView }, 404)
  get(@Param('id') id: string) {
    return this.support.get(null, id);
  }

  @Get(':id/messages')
  @ApiQueryFrom(pageParams)
  @ApiRoute({ schema: pageOf(supportMessageView) }, 404, 422)
  messages(@Param('id') id: string, @Query(new ZodPipe(pageParams, 'query')) query: z.infer<typeof pageParams>) {
    return this.support.messages(null, id, query.limit, query.cursor);
  }

  @Post(':id/messages')
  @HttpCode(201)
  @ApiJsonBody(replyBody)
  @ApiRoute({ status: 201, schema: messageResult, description: 'Support’s reply; the case takes the given status (default `waiting`)' }, 404, 422)
  reply(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body(new ZodPipe(replyBody)) body: z.infer<typeof replyBody>) {
    return this.support.addMessage({ author: 'support', keyId: principal.actor.id }, id, body.body, body.status);
  }
}
