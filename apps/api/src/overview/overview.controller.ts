import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { FleetOverviewService, MAX_POSITIONS_PAGE } from '@simfleet/application';
import type { Principal } from '@simfleet/auth';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { SIM_STATUSES, decodeCursor, encodeCursor } from '@simfleet/domain';
import { AccountRepository, type BoundingBox } from '@simfleet/persistence';
import { AllowAdminToo, ApiQueryFrom, ApiRoute, CurrentAccountId, CurrentPrincipal, Public, RequireScope, ZodPipe, pageQuery } from '@simfleet/http';
import { simFilterSchema, toSimListFilter } from '../sims/sim-filters.js';

const instant = z.string().describe('ISO 8601 date-time (UTC)');
const count = z.number().int();
const totals = z.object({ from: instant, to: instant, bytesUp: count, bytesDown: count, bytesTotal: count, sessions: count });

const overviewView = z.object({
  at: instant,
  onlineSims: count.describe('Active, unblocked SIMs whose device holds an open MQTT connection now'),
  openAlerts: z.array(z.object({ type: z.string(), severity: z.enum(['info', 'warning', 'critical']), count })).describe('Active or acknowledged'),
  data: z.object({
    thisMonth: totals.describe('From the first of this month (UTC) to now'),
    lastMonthSamePeriod: totals.describe('The same stretch of last month, for comparison'),
    lastMonth: totals.describe('The whole of last month'),
  }),
  spend: z
    .object({
      invoiceId: z.string(),
      period: z.string(),
      status: z.enum(['draft', 'finalized']),
      total: z.string().describe('Decimal string'),
      currency: z.string(),
      generatedAt: instant.describe('When the draft was last built (POST /v1/invoices rebuilds it)'),
    })
    .nullable()
    .describe('This month’s invoice, as last drafted; null before any draft'),
});

const statusList = z
  .preprocess(
    (v) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(','))),
    z.array(z.enum(SIM_STATUSES)).min(1).max(SIM_STATUSES.length),
  )
  .optional()
  .describe('Only SIMs in these statuses (comma-separated or repeated)');

const bbox = z
  .string()
  .max(200)
  .transform((value, ctx): BoundingBox => {
    const parts = value.split(',').map(Number);
    const [west, south, east, north] = parts;
    const valid =
      parts.length === 4 &&
      parts.every(Number.isFinite) &&
      west >= -180 &&
      west <= 180 &&
      east >= -180 &&
      east <= 180 &&
      south >= -90 &&
      north <= 90 &&
      south <= north;
    if (!valid) {
      ctx.addIssue({ code: 'custom', message: 'west,south,east,north in degrees (longitudes −180…180, latitudes −90…90, south ≤ north)' });
      return z.NEVER;
    }
    return { west, south, east, north };
  })
  .optional()
  .describe('`west,south,east,north` in degrees; west > east crosses the antimeridian');

const positionsParams = z
  .object({
    status: statusList,
    bbox,
    limit: z.coerce.number().int().min(1).max(MAX_POSITIONS_PAGE).default(1000).describe(`Page size (1–${MAX_POSITIONS_PAGE}, default 1000)`),
    cursor: z.string().min(1).max(200).optional().describe('`nextCursor` of the previous page'),
  })
  .strict();

const clustersParams = z
  .object({ status: statusList, bbox, zoom: z.coerce.number().int().min(0).max(22).describe('The map’s zoom level (Web Mercator, 256-pixel tiles)') })
  .strict();

const positionView = z.object({
  iccid: z.string(),
  name: z.string().nullable(),
  status: z.enum(SIM_STATUSES),
  lat: z.number(),
  lon: z.number(),
  accuracyM: z.number().nullable(),
  at: instant.describe('When the device reported it (event time)'),
});
const clustersView = z.object({
  total: count.describe('Positions in all clusters'),
  clusters: z.array(
    z.object({
      lat: z.number().describe('Mean latitude of the cluster'),
      lon: z.number(),
      count,
      iccid: z.string().nullable().describe('The SIM, when the cluster holds one'),
      name: z.string().nullable(),
      status: z.enum(SIM_STATUSES).nullable(),
    }),
  ),
});

const sessionView = z.object({
  sessionId: z.string(),
  startedAt: instant,
  endedAt: instant.nullable(),
  bytesUp: count,
  bytesDown: count,
  bytesTotal: count,
  mcc: z.string(),
  mnc: z.string(),
  network: z.string().nullable(),
  country: z.string().nullable(),
  rat: z.string(),
  updatedAt: instant.describe('When the platform last updated the session'),
});
const sessionParams = z.object(pageQuery).strict();

/** The fleet at a glance: the overview figures and the map of last known positions (docs/console.md). */
@ApiTags('overview')
@Controller('v1')
export class OverviewController {
  constructor(
    @Inject(FleetOverviewService) private readonly overview: FleetOverviewService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(AccountRepository) private readonly accounts: AccountRepository,
  ) {}

  @Get('principal')
  @RequireScope('read')
  @AllowAdminToo()
  @ApiRoute({
    schema: z.object({
      kind: z.enum(['admin', 'account']),
      actor: z
        .object({ type: z.enum(['api_key', 'user']), id: z.string(), name: z.string().nullable() })
        .describe('The API key, or the signed-in user (name: the key’s name or the user’s e-mail)'),
      accountId: z.string().nullable(),
      accountName: z.string().nullable(),
      scopes: z.array(z.string()).describe('The key’s scopes, or those of the user’s role; `admin` for the platform admin'),
    }),
    description: 'Who the caller is: the API key or user, its account and scopes (the console adapts its pages to them)',
  })
  async principal(@CurrentPrincipal() principal: Principal) {
    const actor = { type: principal.actor.type, id: principal.actor.id, name: principal.actor.name ?? null };
    if (principal.kind === 'admin') return { kind: 'admin', actor, accountId: null, accountName: null, scopes: ['admin'] };
    const account = await this.accounts.findById(principal.accountId);
    return { kind: 'account', actor, accountId: principal.accountId, accountName: account?.name ?? null, scopes: principal.scopes };
  }

  @Get('sims/count')
  @RequireScope('read')
  @ApiQueryFrom(simFilterSchema)
  @ApiRoute({ schema: z.object({ count }), description: 'How many SIMs the GET /v1/sims filters match' }, 422)
  async countSims(@CurrentAccountId() accountId: string, @Query(new ZodPipe(simFilterSchema, 'query')) query: z.infer<typeof simFilterSchema>) {
    return { count: await this.overview.countSims(accountId, toSimListFilter(query)) };
  }

  @Get('sims/:iccid/sessions')
  @RequireScope('read')
  @ApiParam({ name: 'iccid', description: 'ICCID, or the SIM’s name' })
  @ApiQueryFrom(sessionParams)
  @ApiRoute(
    { schema: z.object({ data: z.array(sessionView), nextCursor: z.string().nullable() }), description: 'Data sessions, newest first' },
    404,
    422,
  )
  sessions(
    @CurrentAccountId() accountId: string,
    @Param('iccid') ref: string,
    @Query(new ZodPipe(sessionParams, 'query')) query: z.infer<typeof sessionParams>,
  ) {
    return this.overview.sessions(accountId, ref, query.limit, query.cursor);
  }

  @Get('overview')
  @RequireScope('read')
  @ApiRoute({ schema: overviewView, description: 'Online SIMs, open alerts, data this month against last month, spend so far' })
  get(@CurrentAccountId() accountId: string) {
    return this.overview.overview(accountId);
  }

  @Get('sims/positions')
  @RequireScope('read')
  @ApiQueryFrom(positionsParams)
  @ApiRoute(
    { schema: z.object({ data: z.array(positionView), nextCursor: z.string().nullable() }), description: 'Last known positions, in ICCID order' },
    422,
  )
  async positions(@CurrentAccountId() accountId: string, @Query(new ZodPipe(positionsParams, 'query')) query: z.infer<typeof positionsParams>) {
    const page = await this.overview.positions(
      accountId,
      { statuses: query.status, box: query.bbox },
      query.limit,
      query.cursor ? decodeCursor(query.cursor) : undefined,
    );
    return { data: page.data, nextCursor: page.nextIccid ? encodeCursor(page.nextIccid) : null };
  }

  @Get('sims/positions/clusters')
  @RequireScope('read')
  @ApiQueryFrom(clustersParams)
  @ApiRoute(
    { schema: clustersView, description: 'Last known positions grouped on a grid fitted to the zoom level: any fleet size in one answer' },
    422,
  )
  clusters(@CurrentAccountId() accountId: string, @Query(new ZodPipe(clustersParams, 'query')) query: z.infer<typeof clustersParams>) {
    return this.overview.clusters(accountId, { statuses: query.status, box: query.bbox }, query.zoom);
  }

  @Get('console/settings')
  @Public()
  @ApiRoute({
    schema: z.object({
      mapTilesUrl: z.string().nullable().describe('Raster tile URL template (CONSOLE_MAP_TILES_URL); null: the packaged world outline only'),
      mapTilesAttribution: z.string().nullable(),
    }),
    description: 'What the operator console needs to know of this installation (no authentication)',
  })
  consoleSettings() {
    return { mapTilesUrl: this.config.console.mapTilesUrl, mapTilesAttribution: this.config.console.mapTilesAttribution };
  }
}
