import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { GroupsService } from '@simfleet/application';
import { actorOf, type Principal } from '@simfleet/auth';
import { countriesProblems } from '@simfleet/domain';
import { CurrentAccountId, CurrentPrincipal, RequireScope, ApiRoute, ApiJsonBody, ApiQueryFrom, pageQuery, ZodPipe } from '@simfleet/http';
import { pageOf } from '../http/views.js';
import { groupView } from '../sims/fleet.views.js';

const groupFields = {
  name: z.string().trim().min(1).max(100).describe('Unique in the account'),
  description: z.string().max(1000).nullable().optional(),
  monthlyDataLimitBytes: z
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .nullable()
    .optional()
    .describe('Monthly data limit of each SIM of the group; null: none'),
  allowedCountries: z
    .array(z.string().max(64))
    .max(300)
    .nullable()
    .optional()
    .describe('ISO 3166-1 alpha-2 countries the SIMs may be used in; null: all'),
};

const countriesValid = (body: { allowedCountries?: string[] | null }, ctx: z.RefinementCtx) => {
  for (const p of body.allowedCountries ? countriesProblems(body.allowedCountries) : [])
    ctx.addIssue({ code: 'custom', path: p.field.split('/'), message: p.message });
};

const createBody = z.object(groupFields).strict().superRefine(countriesValid);
const patchBody = z
  .object({ ...groupFields, name: groupFields.name.optional() })
  .strict()
  .superRefine((body, ctx) => {
    if (Object.keys(body).length === 0) ctx.addIssue({ code: 'custom', path: [], message: 'send at least one field to change' });
    countriesValid(body, ctx);
  });
const pageParams = z.object(pageQuery).strict();

/** Groups of SIMs: a group's policy applies to each of its SIMs that does not override it. */
@ApiTags('groups')
@Controller('v1/groups')
export class GroupsController {
  constructor(@Inject(GroupsService) private readonly groups: GroupsService) {}

  @Post()
  @RequireScope('write')
  @ApiJsonBody(createBody)
  @ApiRoute({ status: 201, schema: groupView }, 409, 422)
  create(
    @CurrentAccountId() accountId: string,
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(createBody)) body: z.infer<typeof createBody>,
  ) {
    return this.groups.create(accountId, body, actorOf(principal));
  }

  @Get()
  @RequireScope('read')
  @ApiQueryFrom(pageParams)
  @ApiRoute({ schema: pageOf(groupView) }, 422)
  list(@CurrentAccountId() accountId: string, @Query(new ZodPipe(pageParams, 'query')) query: z.infer<typeof pageParams>) {
    return this.groups.list(accountId, query.limit, query.cursor);
  }

  @Get(':id')
  @RequireScope('read')
  @ApiRoute({ schema: groupView }, 404)
  get(@CurrentAccountId() accountId: string, @Param('id') id: string) {
    return this.groups.get(accountId, id);
  }

  @Patch(':id')
  @RequireScope('write')
  @ApiJsonBody(patchBody, 'Only the fields sent change; null clears a policy setting')
  @ApiRoute({ schema: groupView }, 404, 409, 422)
  update(
    @CurrentAccountId() accountId: string,
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body(new ZodPipe(patchBody)) body: z.infer<typeof patchBody>,
  ) {
    return this.groups.update(accountId, id, body, actorOf(principal));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('write')
  @ApiRoute({ status: 204, schema: z.null(), description: 'Deleted. A group that still holds SIMs is refused (409)' }, 404, 409)
  async remove(@CurrentAccountId() accountId: string, @CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.groups.delete(accountId, id, actorOf(principal));
  }
}
