import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { SimsService, SimOrganisationService, UsageService } from '@simfleet/application';
import { actorOf, type Principal } from '@simfleet/auth';
import { type Sim, SimLifecycle, type SimAction } from '@simfleet/domain';
import {
  CurrentAccountId,
  CurrentPrincipal,
  RequireScope,
  ApiRoute,
  ApiJsonBody,
  ApiQueryFrom,
  instantInput,
  pageQuery,
  ZodPipe,
} from '@simfleet/http';
import { historyView, pageOf, simView, usageView } from '../http/views.js';
import { simWithPolicyView } from './fleet.views.js';
import { simListQuery, toSimListFilter } from './sim-filters.js';

/** The API's view of a SIM: the domain record plus what the caller may do next. */
export const presentSim = (sim: Sim, deviceSecret?: string) => ({
  ...sim,
  allowedActions: SimLifecycle.allowedActions(sim.status),
  ...(deviceSecret ? { deviceSecret } : {}),
});

const actionBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();
const pageParams = z.object(pageQuery);
const usageParams = z
  .object({
    from: instantInput('Start, inclusive'),
    to: instantInput('End, exclusive'),
    interval: z.enum(['hour', 'day', 'month']).default('day'),
  })
  .strict();

const SimRef = () => ApiParam({ name: 'iccid', description: 'ICCID, or the SIM’s name' });

@ApiTags('sims')
@Controller('v1/sims')
export class SimsController {
  constructor(
    @Inject(SimsService) private readonly sims: SimsService,
    @Inject(UsageService) private readonly usage: UsageService,
    @Inject(SimOrganisationService) private readonly organisation: SimOrganisationService,
  ) {}

  @Get()
  @RequireScope('read')
  @ApiQueryFrom(simListQuery)
  @ApiRoute({ schema: pageOf(simView), description: 'Filtered, sorted, keyset-paginated (docs/sims.md)' }, 422)
  async list(@CurrentAccountId() accountId: string, @Query(new ZodPipe(simListQuery, 'query')) query: z.infer<typeof simListQuery>) {
    const page = await this.organisation.list(accountId, toSimListFilter(query), query.sort, query.limit, query.cursor);
    return { ...page, data: page.data.map((sim) => presentSim(sim)) };
  }

  @Get(':iccid')
  @RequireScope('read')
  @SimRef()
  @ApiRoute({ schema: simWithPolicyView, description: 'The SIM with its effective policy and where each setting comes from' }, 404, 422)
  async get(@CurrentAccountId() accountId: string, @Param('iccid') ref: string) {
    const { sim, policy } = await this.organisation.getWithPolicy(accountId, ref);
    return { ...presentSim(sim), policy };
  }

  @Get(':iccid/history')
  @RequireScope('read')
  @SimRef()
  @ApiQueryFrom(pageParams)
  @ApiRoute({ schema: pageOf(historyView) }, 404, 422)
  history(
    @CurrentAccountId() accountId: string,
    @Param('iccid') ref: string,
    @Query(new ZodPipe(pageParams, 'query')) query: z.infer<typeof pageParams>,
  ) {
    return this.sims.history(accountId, ref, query.limit, query.cursor);
  }

  @Get(':iccid/usage')
  @RequireScope('read')
  @SimRef()
  @ApiQueryFrom(usageParams)
  @ApiRoute({ schema: usageView, description: 'Data usage in event time, bucketed in UTC' }, 404, 422)
  simUsage(
    @CurrentAccountId() accountId: string,
    @Param('iccid') ref: string,
    @Query(new ZodPipe(usageParams, 'query')) query: z.infer<typeof usageParams>,
  ) {
    return this.usage.simUsage(accountId, ref, new Date(query.from), new Date(query.to), query.interval);
  }

  @Post(':iccid/credentials')
  @HttpCode(201)
  @RequireScope('write')
  @SimRef()
  @ApiRoute(
    {
      status: 201,
      schema: z.object({ iccid: z.string(), secret: z.string().describe('Shown once') }),
      description: 'A new device secret; the old one stops working',
    },
    404,
    409,
  )
  rotate(@CurrentAccountId() accountId: string, @CurrentPrincipal() principal: Principal, @Param('iccid') ref: string) {
    return this.sims.rotateCredentials(accountId, ref, actorOf(principal));
  }

  @Post(':iccid/activate')
  @HttpCode(200)
  @RequireScope('write')
  @SimRef()
  @ApiJsonBody(actionBody.optional(), 'Optional: a body is not needed')
  @ApiRoute({ schema: simView, description: 'The activated SIM; the first activation returns `deviceSecret` once' }, 404, 409, 422)
  activate(
    @CurrentAccountId() a: string,
    @CurrentPrincipal() p: Principal,
    @Param('iccid') ref: string,
    @Body(new ZodPipe(actionBody.optional())) body?: z.infer<typeof actionBody>,
  ) {
    return this.act(a, p, ref, 'activate', body?.reason);
  }

  @Post(':iccid/suspend')
  @HttpCode(200)
  @RequireScope('write')
  @SimRef()
  @ApiJsonBody(actionBody.optional(), 'Optional: a body is not needed')
  @ApiRoute({ schema: simView, description: 'The suspended SIM; a connected device is disconnected' }, 404, 409, 422)
  suspend(
    @CurrentAccountId() a: string,
    @CurrentPrincipal() p: Principal,
    @Param('iccid') ref: string,
    @Body(new ZodPipe(actionBody.optional())) body?: z.infer<typeof actionBody>,
  ) {
    return this.act(a, p, ref, 'suspend', body?.reason);
  }

  @Post(':iccid/resume')
  @HttpCode(200)
  @RequireScope('write')
  @SimRef()
  @ApiJsonBody(actionBody.optional(), 'Optional: a body is not needed')
  @ApiRoute({ schema: simView }, 404, 409, 422)
  resume(
    @CurrentAccountId() a: string,
    @CurrentPrincipal() p: Principal,
    @Param('iccid') ref: string,
    @Body(new ZodPipe(actionBody.optional())) body?: z.infer<typeof actionBody>,
  ) {
    return this.act(a, p, ref, 'resume', body?.reason);
  }

  @Post(':iccid/terminate')
  @HttpCode(200)
  @RequireScope('write')
  @SimRef()
  @ApiJsonBody(actionBody.optional(), 'Optional: a body is not needed')
  @ApiRoute({ schema: simView, description: 'The terminated SIM (final); its device credentials are destroyed' }, 404, 409, 422)
  terminate(
    @CurrentAccountId() a: string,
    @CurrentPrincipal() p: Principal,
    @Param('iccid') ref: string,
    @Body(new ZodPipe(actionBody.optional())) body?: z.infer<typeof actionBody>,
  ) {
    return this.act(a, p, ref, 'terminate', body?.reason);
  }

  private async act(accountId: string, principal: Principal, ref: string, action: SimAction, reason?: string) {
    const { sim, deviceSecret } = await this.sims.applyAction(accountId, ref, action, actorOf(principal), reason);
    return presentSim(sim, deviceSecret);
  }
}
