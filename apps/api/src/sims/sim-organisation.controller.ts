import { Readable } from 'node:stream';
import { applyDecorators, Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, StreamableFile } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiBearerAuth, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { BulkJobsService, BULK_MAX_SIMS, SIM_EXPORT_COLUMNS, SimOrganisationService, type SimWithPolicy } from '@simfleet/application';
import { actorOf, type Principal } from '@simfleet/auth';
import {
  LABEL_LIMITS,
  MAX_AUTHORIZED_IMEIS,
  SIM_ACTIONS,
  SIM_NAME_MAX,
  TAG_KEY,
  TAG_LIMITS,
  countriesProblems,
  imeisProblems,
  labelsProblems,
  simNameProblem,
  tagsProblems,
} from '@simfleet/domain';
import { CurrentAccountId, CurrentPrincipal, RequireScope, ApiRoute, ApiJsonBody, ApiProblems, ApiQueryFrom, ZodPipe } from '@simfleet/http';
import { jobView, simWithPolicyView, summaryView } from './fleet.views.js';
import { presentJob } from './present-job.js';
import { simExportQuery, simFilterSchema, toSimListFilter } from './sim-filters.js';
import { presentSim } from './sims.controller.js';

export const presentSimWithPolicy = ({ sim, policy }: SimWithPolicy) => ({ ...presentSim(sim), policy });

const patchBody = z
  .object({
    // The domain's rules (simNameProblem, tagsProblems…) decide, all reported together; the document states their limits.
    name: z
      .string()
      .max(200)
      .meta({ maxLength: SIM_NAME_MAX, pattern: '^\\S(.*\\S)?$' })
      .nullable()
      .optional()
      .describe(
        `Unique in the account; usable in place of the ICCID in paths; 1 to ${SIM_NAME_MAX} characters, no space at either end, not 19–20 digits, none of / ? # % \\; null clears it`,
      ),
    tags: z
      .record(z.string().max(100).meta({ maxLength: TAG_LIMITS.keyMax, pattern: TAG_KEY.source }), z.string().max(TAG_LIMITS.valueMax))
      .optional()
      .describe(`Replaces the whole tag set (send every tag to keep; {} clears); at most ${TAG_LIMITS.maxTags} tags`),
    groupId: z.string().min(1).max(64).nullable().optional().describe('A group of this account; null takes the SIM out of its group'),
    labels: z
      .array(z.string().max(100).meta({ maxLength: LABEL_LIMITS.labelMax }))
      .max(100)
      .meta({ maxItems: LABEL_LIMITS.maxLabels })
      .optional()
      .describe('Replaces the labels'),
    endUserDevice: z.boolean().optional().describe('Declares (true) or withdraws (false) that the SIM sits in an end user’s device'),
    authorizedImeis: z
      .array(z.string().max(16))
      .max(100)
      .meta({ maxItems: MAX_AUTHORIZED_IMEIS })
      .optional()
      .describe('IMEI lock: replaces the list ([] removes the lock)'),
    dataLimitBytes: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .nullable()
      .optional()
      .describe('Monthly data limit override; null inherits the group’s'),
    allowedCountries: z
      .array(z.string().max(64))
      .max(300)
      .nullable()
      .optional()
      .describe('Allowed countries override (ISO alpha-2); null inherits the group’s'),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (Object.keys(body).length === 0) ctx.addIssue({ code: 'custom', path: [], message: 'send at least one field to change' });
    const problems = [
      ...(typeof body.name === 'string' && simNameProblem(body.name) ? [{ field: 'name', message: simNameProblem(body.name)! }] : []),
      ...(body.tags ? tagsProblems(body.tags) : []),
      ...(body.labels ? labelsProblems(body.labels) : []),
      ...(body.authorizedImeis ? imeisProblems(body.authorizedImeis) : []),
      ...(body.allowedCountries ? countriesProblems(body.allowedCountries) : []),
    ];
    for (const p of problems) ctx.addIssue({ code: 'custom', path: p.field.split('/'), message: p.message });
  });

const bulkBody = z
  .object({
    action: z.enum(SIM_ACTIONS),
    iccids: z.array(z.string().max(64)).max(BULK_MAX_SIMS).optional().describe(`Up to ${BULK_MAX_SIMS} ICCIDs (give iccids or filter, not both)`),
    filter: simFilterSchema.optional().describe('The GET /v1/sims filters; the SIMs matching when the job is accepted'),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict();

const SimRef = () => ApiParam({ name: 'iccid', description: 'ICCID, or the SIM’s name' });

const ApiCsvResponse = () =>
  applyDecorators(
    ApiBearerAuth(),
    ApiResponse({
      status: 200,
      description:
        'Every SIM the filters match, as CSV (RFC 4180, UTF-8, CRLF; a header line first), streamed. Columns: ' + SIM_EXPORT_COLUMNS.join(', '),
      content: { 'text/csv': { schema: { type: 'string' } } },
    }),
    ApiProblems(401, 403, 429, 422),
  );

/** Naming, tagging, grouping and policy of SIMs; the fleet summary; bulk lifecycle jobs. */
@ApiTags('sims')
@Controller('v1/sims')
export class SimOrganisationController {
  constructor(
    @Inject(SimOrganisationService) private readonly organisation: SimOrganisationService,
    @Inject(BulkJobsService) private readonly bulk: BulkJobsService,
  ) {}

  @Get('export')
  @RequireScope('read')
  @ApiQueryFrom(simExportQuery)
  @ApiCsvResponse()
  async export(@CurrentAccountId() accountId: string, @Query(new ZodPipe(simExportQuery, 'query')) query: z.infer<typeof simExportQuery>) {
    const { filename, chunks } = await this.organisation.exportCsv(accountId, toSimListFilter(query), query.sort);
    // The first page is read before answering: a failure there is an error response, not a cut-off file.
    // A failure later cuts the response off (StreamableFile destroys it), never ends it as if complete.
    const first = await chunks.next();
    const stream = Readable.from(
      (async function* all() {
        if (!first.done) yield first.value;
        yield* chunks;
      })(),
      { objectMode: false },
    );
    return new StreamableFile(stream, { type: 'text/csv; charset=utf-8', disposition: `attachment; filename="${filename}"` });
  }

  @Get('summary')
  @RequireScope('read')
  @ApiRoute({ schema: summaryView, description: 'Counts of the account’s SIMs by status, group, country and network' })
  summary(@CurrentAccountId() accountId: string) {
    return this.organisation.summary(accountId);
  }

  @Post('bulk')
  @HttpCode(202)
  @RequireScope('write')
  @ApiJsonBody(bulkBody, 'An action over a list of ICCIDs or over the SIMs a filter matches', { maxBytes: 4 * 1024 * 1024 })
  @ApiRoute({ status: 202, schema: jobView, description: 'The job, queued: follow it with GET /v1/jobs/{id}' }, 422)
  async submitBulk(
    @CurrentAccountId() accountId: string,
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodPipe(bulkBody)) body: z.infer<typeof bulkBody>,
    @Req() request: FastifyRequest,
  ) {
    const job = await this.bulk.submit(
      accountId,
      { action: body.action, iccids: body.iccids, filter: body.filter ? toSimListFilter(body.filter) : undefined, reason: body.reason },
      actorOf(principal),
      request.id,
    );
    return presentJob(job);
  }

  @Patch(':iccid')
  @RequireScope('write')
  @SimRef()
  @ApiJsonBody(patchBody, 'Only the fields sent change')
  @ApiRoute({ schema: simWithPolicyView, description: 'The updated SIM with its effective policy' }, 404, 409, 422)
  async update(
    @CurrentAccountId() accountId: string,
    @CurrentPrincipal() principal: Principal,
    @Param('iccid') ref: string,
    @Body(new ZodPipe(patchBody)) body: z.infer<typeof patchBody>,
  ) {
    return presentSimWithPolicy(await this.organisation.update(accountId, ref, body, actorOf(principal)));
  }
}
