import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AlertRulesService, AlertsService } from '@simfleet/application';
import { actorOf, type Principal } from '@simfleet/auth';
import { ALERT_ACTIONS, ALERT_RULE_TYPES, ALERT_SEVERITIES, RULE_PARAMS, ALERT_STATUSES, SIM_BLOCKS } from '@simfleet/domain';
import { CurrentAccountId, CurrentPrincipal, RequireScope, ApiRoute, ApiJsonBody, ApiQueryFrom, pageQuery, ZodPipe } from '@simfleet/http';
import { pageOf } from '../http/views.js';

const instant = z.string().describe('ISO 8601 date-time (UTC)');
const scopeDoc = z
  .union([
    z.object({ iccid: z.string().max(64) }),
    z.object({ groupId: z.string().max(64) }),
    z.object({ tag: z.string().max(200).describe('key:value') }),
    z.object({}),
  ])
  .describe('Which SIMs the rule watches: one SIM, a group, a tag, or `{}` for the whole account');

/** The request body, documented per rule type (validation is done as a whole by the domain, listing every field). */
const ruleBodyDoc = z.union(
  ALERT_RULE_TYPES.map((type) =>
    z
      .object({
        type: z.literal(type),
        name: z.string().trim().min(1).max(200).nullable().optional(),
        scope: scopeDoc.optional(),
        severity: z.enum(ALERT_SEVERITIES).optional().describe('Default warning'),
        action: z.enum(ALERT_ACTIONS).optional().describe('Default notify; block only for data_usage_limit and imei_change'),
        enabled: z.boolean().optional().describe('Default true'),
        params: RULE_PARAMS[type],
      })
      .strict(),
  ) as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]],
);
const rulePatchDoc = z
  .object({
    name: z.string().trim().min(1).max(200).nullable(),
    scope: scopeDoc,
    severity: z.enum(ALERT_SEVERITIES),
    action: z.enum(ALERT_ACTIONS),
    enabled: z.boolean(),
    params: z.record(z.string(), z.unknown()).describe('Replaces the params as a whole'),
  })
  .partial()
  .strict();

export const alertRuleView = z.object({
  id: z.string(),
  accountId: z.string(),
  name: z.string().nullable(),
  type: z.enum(ALERT_RULE_TYPES),
  scope: scopeDoc,
  severity: z.enum(ALERT_SEVERITIES),
  action: z.enum(ALERT_ACTIONS),
  enabled: z.boolean(),
  params: z.record(z.string(), z.unknown()),
  createdAt: instant,
  updatedAt: instant,
});

export const alertView = z.object({
  id: z.string(),
  accountId: z.string(),
  ruleId: z.string(),
  type: z.enum(ALERT_RULE_TYPES),
  iccid: z.string(),
  severity: z.enum(ALERT_SEVERITIES),
  status: z.enum(ALERT_STATUSES),
  count: z.number().int().describe('Triggers while the alert was open'),
  level: z.number().int().describe('Stage of a staged rule: data limit 1 = warning threshold, 2 = limit'),
  details: z.record(z.string(), z.unknown()).describe('Facts of the latest trigger'),
  block: z.enum(SIM_BLOCKS).nullable().describe('The block this alert placed on the SIM, lifted when it resolves'),
  firstTriggeredAt: instant,
  lastTriggeredAt: instant,
  acknowledgedAt: instant.nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: instant.nullable(),
  resolvedBy: z.string().nullable(),
  resolution: z.string().nullable().describe('manual, period_rollover, below_limit, authorized_imei, heard_again, back_inside, rule_deleted, …'),
});

const ruleListParams = z.object({ type: z.enum(ALERT_RULE_TYPES).optional(), ...pageQuery }).strict();

/** `a,b` or a single value, each one of `values`. */
const csvOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z
    .string()
    .max(100)
    .refine(
      (s) => s.split(',').every((v) => (values as readonly string[]).includes(v.trim())),
      `${what}: one or more of ${values.join(', ')}, comma-separated`,
    )
    .transform((s) => s.split(',').map((v) => v.trim()) as Array<T[number]>);

const alertListParams = z
  .object({
    status: csvOf(ALERT_STATUSES, 'status').optional().describe('active, acknowledged, resolved (comma-separated)'),
    severity: csvOf(ALERT_SEVERITIES, 'severity').optional().describe('info, warning, critical (comma-separated)'),
    iccid: z
      .string()
      .max(22)
      .regex(/^\d{18,22}$/, 'an ICCID: 18 to 22 digits')
      .optional(),
    ruleId: z.string().min(1).max(64).optional(),
    type: z.enum(ALERT_RULE_TYPES).optional(),
    ...pageQuery,
  })
  .strict();

const RuleId = () => ApiParam({ name: 'id', description: 'Alert rule id (rule_…)' });
const AlertId = () => ApiParam({ name: 'id', description: 'Alert id (alrt_…)' });

@ApiTags('alerts')
@Controller('v1/alert-rules')
export class AlertRulesController {
  constructor(@Inject(AlertRulesService) private readonly rules: AlertRulesService) {}

  @Post()
  @HttpCode(201)
  @RequireScope('write')
  @ApiJsonBody(ruleBodyDoc, 'A rule of one type with that type’s params (docs/alerts.md)')
  @ApiRoute({ status: 201, schema: alertRuleView }, 422)
  create(@CurrentAccountId() accountId: string, @Body() body: unknown) {
    return this.rules.create(accountId, body);
  }

  @Get()
  @RequireScope('read')
  @ApiQueryFrom(ruleListParams)
  @ApiRoute({ schema: pageOf(alertRuleView) }, 422)
  list(@CurrentAccountId() accountId: string, @Query(new ZodPipe(ruleListParams, 'query')) q: z.infer<typeof ruleListParams>) {
    return this.rules.list(accountId, q.limit, q.cursor, q.type);
  }

  @Get(':id')
  @RequireScope('read')
  @RuleId()
  @ApiRoute({ schema: alertRuleView }, 404)
  get(@CurrentAccountId() accountId: string, @Param('id') id: string) {
    return this.rules.get(accountId, id);
  }

  @Patch(':id')
  @RequireScope('write')
  @RuleId()
  @ApiJsonBody(rulePatchDoc, 'Fields to change; the type never changes. Open alerts follow at once (a raised limit lifts its block).')
  @ApiRoute({ schema: alertRuleView }, 404, 422)
  update(@CurrentAccountId() accountId: string, @Param('id') id: string, @Body() body: unknown) {
    return this.rules.update(accountId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('write')
  @RuleId()
  @ApiRoute(
    { status: 204, schema: z.null(), description: 'Deleted; its open alerts are resolved (and their blocks lifted), resolved ones stay' },
    404,
  )
  async remove(@CurrentAccountId() accountId: string, @Param('id') id: string): Promise<void> {
    await this.rules.delete(accountId, id);
  }
}

@ApiTags('alerts')
@Controller('v1/alerts')
export class AlertsController {
  constructor(@Inject(AlertsService) private readonly alerts: AlertsService) {}

  @Get()
  @RequireScope('read')
  @ApiQueryFrom(alertListParams)
  @ApiRoute({ schema: pageOf(alertView), description: 'Alerts, newest first' }, 422)
  list(@CurrentAccountId() accountId: string, @Query(new ZodPipe(alertListParams, 'query')) q: z.infer<typeof alertListParams>) {
    return this.alerts.list(accountId, q);
  }

  @Get(':id')
  @RequireScope('read')
  @AlertId()
  @ApiRoute({ schema: alertView }, 404)
  get(@CurrentAccountId() accountId: string, @Param('id') id: string) {
    return this.alerts.get(accountId, id);
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @RequireScope('write')
  @AlertId()
  @ApiRoute({ schema: alertView, description: 'Acknowledged (again: unchanged)' }, 404, 409)
  acknowledge(@CurrentAccountId() accountId: string, @CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.alerts.acknowledge(accountId, id, actorOf(principal));
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @RequireScope('write')
  @AlertId()
  @ApiRoute({ schema: alertView, description: 'Resolved; a block the alert placed is lifted' }, 404, 409)
  resolve(@CurrentAccountId() accountId: string, @CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.alerts.resolve(accountId, id, actorOf(principal));
  }
}
