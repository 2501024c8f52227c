import { applyDecorators, Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { SimDiagnostics, SimLocations, REPORT_GROUPINGS, usageReportCsv, UsageReports } from '@simfleet/application';
import { CurrentAccountId, RequireScope, ApiProblems, ApiRoute, ApiQueryFrom, instantInput, openApiSchema, pageQuery, ZodPipe } from '@simfleet/http';
import { diagnosticsView, geoJsonView, lastLocationView, locationsPageView, networkStatsView, usageReportView } from './telemetry-views.js';

const range = {
  from: instantInput('Start, inclusive (event time)'),
  to: instantInput('End, exclusive (event time)'),
};
const reportParams = z.object({ groupBy: z.enum(REPORT_GROUPINGS).describe('What each row totals'), ...range }).strict();
const networkStatsParams = z
  .object({ ...range, format: z.enum(['json', 'geojson']).default('json').describe('`geojson`: a FeatureCollection per country') })
  .strict();
const locationParams = z.object({ ...range, ...pageQuery }).strict();

const SimRef = () => ApiParam({ name: 'iccid', description: 'ICCID, or the SIM’s name' });

/** The report is JSON, or CSV when the client accepts text/csv (and prefers it to JSON). */
function wantsCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const quality = (type: string) => {
    for (const part of accept.split(',')) {
      const [media, ...params] = part.trim().split(';');
      if (media.trim().toLowerCase() !== type) continue;
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return q ? Number(q.slice(2)) || 0 : 1;
    }
    return -1;
  };
  const csv = quality('text/csv');
  return csv > 0 && csv >= Math.max(quality('application/json'), 0);
}

const ApiUsageReportResponse = () =>
  applyDecorators(
    ApiBearerAuth(),
    ApiResponse({
      status: 200,
      description: 'Usage totals per group, in event time; CSV (header row, RFC 4180 quoting) with `Accept: text/csv`',
      content: { 'application/json': { schema: openApiSchema(usageReportView, 'output') }, 'text/csv': { schema: { type: 'string' } } },
    }),
    ApiProblems(401, 403, 429, 422),
  );

@ApiTags('reports')
@Controller('v1')
export class TelemetryReportsController {
  constructor(@Inject(UsageReports) private readonly reports: UsageReports) {}

  @Get('reports/usage')
  @RequireScope('read')
  @ApiQueryFrom(reportParams)
  @ApiUsageReportResponse()
  async usageReport(
    @CurrentAccountId() accountId: string,
    @Query(new ZodPipe(reportParams, 'query')) query: z.infer<typeof reportParams>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const report = await this.reports.usageReport(accountId, query.groupBy, new Date(query.from), new Date(query.to));
    if (!wantsCsv(accept)) return report;
    void reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="usage-by-${query.groupBy}.csv"`);
    return usageReportCsv(report.rows);
  }

  @Get('network-stats')
  @RequireScope('read')
  @ApiQueryFrom(networkStatsParams)
  @ApiRoute(
    {
      schema: networkStatsView,
      description: 'Per network (MCC-MNC); with `format=geojson` a FeatureCollection (application/geo+json) of countries at their centroid',
      alsoAs: { 'application/geo+json': { schema: openApiSchema(geoJsonView, 'output') } },
    },
    422,
  )
  async networkStats(
    @CurrentAccountId() accountId: string,
    @Query(new ZodPipe(networkStatsParams, 'query')) query: z.infer<typeof networkStatsParams>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const from = new Date(query.from);
    const to = new Date(query.to);
    if (query.format === 'json') return this.reports.networkStats(accountId, from, to);
    const collection = await this.reports.networkStatsGeoJson(accountId, from, to);
    void reply.header('content-type', 'application/geo+json; charset=utf-8');
    return collection;
  }
}

@ApiTags('sims')
@Controller('v1/sims')
export class SimTelemetryController {
  constructor(
    @Inject(SimLocations) private readonly locations: SimLocations,
    @Inject(SimDiagnostics) private readonly diagnostics: SimDiagnostics,
  ) {}

  @Get(':iccid/locations')
  @RequireScope('read')
  @SimRef()
  @ApiQueryFrom(locationParams)
  @ApiRoute({ schema: locationsPageView, description: 'Location fixes in event time, oldest first, with the end-user-device declaration' }, 404, 422)
  list(
    @CurrentAccountId() accountId: string,
    @Param('iccid') ref: string,
    @Query(new ZodPipe(locationParams, 'query')) query: z.infer<typeof locationParams>,
  ) {
    return this.locations.list(accountId, ref, new Date(query.from), new Date(query.to), query.limit, query.cursor);
  }

  @Get(':iccid/locations/latest')
  @RequireScope('read')
  @SimRef()
  @ApiRoute({ schema: lastLocationView, description: 'The last known location (newest in event time), with the end-user-device declaration' }, 404)
  latest(@CurrentAccountId() accountId: string, @Param('iccid') ref: string) {
    return this.locations.latest(accountId, ref);
  }

  @Get(':iccid/diagnostics')
  @RequireScope('read')
  @SimRef()
  @ApiRoute({ schema: diagnosticsView, description: 'Connection state, sessions, radio, device, recent ingestion errors and last location' }, 404)
  diagnose(@CurrentAccountId() accountId: string, @Param('iccid') ref: string) {
    return this.diagnostics.diagnose(accountId, ref);
  }
}
