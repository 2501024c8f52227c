import { Body, Controller, Get, Inject, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { StockService } from '@simfleet/application';
import { eidProblem, iccidProblem, imsiProblem, msisdnProblem, FORM_FACTORS } from '@simfleet/domain';
import { RequireScope, ApiRoute, ApiJsonBody, ApiQueryFrom, pageQuery, ZodPipe } from '@simfleet/http';
import { pageOf, simView } from '../http/views.js';
import { presentSim } from '../sims/sims.controller.js';

const checked = (problem: (v: string) => string | null) =>
  z
    .string()
    .max(32)
    .superRefine((value, ctx) => {
      const message = problem(value);
      if (message) ctx.addIssue({ code: 'custom', message });
    });

const importedSim = z
  .object({
    iccid: checked(iccidProblem),
    imsi: checked(imsiProblem),
    msisdn: checked(msisdnProblem).optional(),
    eid: checked(eidProblem).optional(),
    formFactor: z.enum(FORM_FACTORS),
  })
  .strict();

const stockBody = z.union([
  z.object({ count: z.number().int().min(1).max(100_000), formFactor: z.enum(FORM_FACTORS).default('4FF') }).strict(),
  z
    .object({ sims: z.array(importedSim).min(1).max(100_000) })
    .strict()
    .superRefine((body, ctx) => {
      const seen = new Set<string>();
      body.sims.forEach((sim, i) => {
        if (seen.has(sim.iccid)) ctx.addIssue({ code: 'custom', path: ['sims', i, 'iccid'], message: 'duplicate ICCID in this request' });
        seen.add(sim.iccid);
      });
    }),
]);
const pageParams = z.object(pageQuery);

@ApiTags('stock (admin)')
@Controller('v1/stock')
@RequireScope('admin')
export class StockController {
  constructor(@Inject(StockService) private readonly stock: StockService) {}

  @Post()
  @ApiJsonBody(stockBody, '`{count, formFactor}` generates SIMs from the issuer range; `{sims: [...]}` imports them', { maxBytes: 16 * 1024 * 1024 })
  @ApiRoute(
    { status: 201, schema: z.object({ created: z.number().int(), iccids: z.array(z.string()).optional(), skipped: z.array(z.string()).optional() }) },
    422,
  )
  async add(@Body(new ZodPipe(stockBody)) body: z.infer<typeof stockBody>) {
    if ('count' in body) return this.stock.generate(body.count, body.formFactor);
    return this.stock.import(
      body.sims.map((s) => ({ iccid: s.iccid, imsi: s.imsi, msisdn: s.msisdn ?? null, eid: s.eid ?? null, formFactor: s.formFactor })),
    );
  }

  @Get()
  @ApiQueryFrom(pageParams)
  @ApiRoute(
    { schema: pageOf(simView).extend({ available: z.array(z.object({ formFactor: z.string().nullable(), available: z.number().int() })) }) },
    422,
  )
  async list(@Query(new ZodPipe(pageParams, 'query')) query: z.infer<typeof pageParams>) {
    const [page, available] = await Promise.all([this.stock.list(query.limit, query.cursor), this.stock.summary()]);
    return { ...page, data: page.data.map((sim) => presentSim(sim)), available };
  }
}
