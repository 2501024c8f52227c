import { Controller, Get, Headers, Inject, Query, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { AuditTrail, auditLogCsv } from '@simfleet/application';
import type { Principal } from '@simfleet/auth';
import { DomainError } from '@simfleet/domain';
import type { AuditScope } from '@simfleet/persistence';
import { AllowAdminToo, ApiQueryFrom, ApiRoute, CurrentPrincipal, RequireScope, ZodPipe, instantInput, pageQuery } from '@simfleet/http';
import { pageOf } from '../http/views.js';
import { auditEntryView } from './identity.views.js';

const auditParams = z
  .object({
    actor: z.string().min(1).max(200).optional().describe('`user:<id>`, `api_key:<id>`, `anonymous` or `system`'),
    resource: z.string().min(1).max(500).optional().describe('A resource path (`sims/8988…`), or a prefix ending with `/` or `*` (`sims/`)'),
    action: z.string().min(1).max(200).optional().describe('An action (`sims.suspend`), or a prefix ending with `.` or `*` (`sims.`)'),
    from: instantInput('From this instant, inclusive').optional(),
    to: instantInput('Before this instant').optional(),
    accountId: z.string().min(1).max(100).optional().describe('Platform admin only: an account’s log instead of the platform’s own'),
    ...pageQuery,
  })
  .strict();

/** The audit log, newest first: the account's, or the platform's own for the platform admin. */
@ApiTags('audit log')
@Controller('v1/audit-log')
export class AuditLogController {
  constructor(@Inject(AuditTrail) private readonly audit: AuditTrail) {}

  @Get()
  @RequireScope('audit')
  @AllowAdminToo()
  @ApiQueryFrom(auditParams)
  @ApiProduces('application/json', 'text/csv')
  @ApiRoute(
    {
      schema: pageOf(auditEntryView),
      description:
        'Keyset-paginated; CSV with `Accept: text/csv` (the next page’s cursor in the `Link` header, rel="next"). The log is append-only: no route changes it',
      alsoAs: {
        'text/csv': {
          schema: {
            type: 'string',
            description: 'id,at,accountId,actor,actorName,platformActor,action,resource,outcome,status,requestId,via,address',
          },
        },
      },
    },
    422,
  )
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query(new ZodPipe(auditParams, 'query')) query: z.infer<typeof auditParams>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (query.accountId !== undefined && principal.kind !== 'admin') {
      throw DomainError.validation('accountId: only the platform admin reads other logs', [
        { field: 'accountId', message: 'only for the platform admin' },
      ]);
    }
    if (query.from && query.to && Date.parse(query.from) >= Date.parse(query.to)) {
      throw DomainError.validation('from must be before to', [{ field: 'from', message: 'must be before to' }]);
    }
    const scope: AuditScope =
      principal.kind === 'account'
        ? { kind: 'account', accountId: principal.accountId }
        : query.accountId
          ? { kind: 'account', accountId: query.accountId }
          : { kind: 'platform' };
    const filter = {
      actor: query.actor,
      resource: query.resource,
      action: query.action,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
    };
    const page = await this.audit.list(scope, filter, query.limit, query.cursor);
    if (!accept?.toLowerCase().includes('text/csv')) return page;
    const link = page.nextCursor ? nextLink(query, page.nextCursor) : undefined;
    void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="audit-log.csv"');
    if (link) void reply.header('link', `<${link}>; rel="next"`);
    return auditLogCsv(page.data);
  }
}

function nextLink(query: Record<string, unknown>, cursor: string): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && key !== 'cursor') params.set(key, String(value));
  params.set('cursor', cursor);
  return `/v1/audit-log?${params.toString()}`;
}
