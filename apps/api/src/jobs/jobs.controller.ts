import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { BulkJobsService } from '@simfleet/application';
import { CurrentAccountId, RequireScope, ApiRoute, ApiQueryFrom, pageQuery, ZodPipe } from '@simfleet/http';
import { pageOf } from '../http/views.js';
import { jobFailureView, jobView } from '../sims/fleet.views.js';
import { presentJob } from '../sims/present-job.js';

const pageParams = z.object(pageQuery).strict();

/** Asynchronous jobs of the account (bulk lifecycle actions) and their progress. */
@ApiTags('jobs')
@Controller('v1/jobs')
export class JobsController {
  constructor(@Inject(BulkJobsService) private readonly bulk: BulkJobsService) {}

  @Get()
  @RequireScope('read')
  @ApiQueryFrom(pageParams)
  @ApiRoute({ schema: pageOf(jobView), description: 'Newest first' }, 422)
  async list(@CurrentAccountId() accountId: string, @Query(new ZodPipe(pageParams, 'query')) query: z.infer<typeof pageParams>) {
    const page = await this.bulk.list(accountId, query.limit, query.cursor);
    return { ...page, data: page.data.map(presentJob) };
  }

  @Get(':id')
  @RequireScope('read')
  @ApiRoute({ schema: jobView, description: 'Status and progress; `failures` lists the first 1,000 SIMs that failed and why' }, 404)
  async get(@CurrentAccountId() accountId: string, @Param('id') id: string) {
    return presentJob(await this.bulk.get(accountId, id));
  }

  @Get(':id/failures')
  @RequireScope('read')
  @ApiQueryFrom(pageParams)
  @ApiRoute({ schema: pageOf(jobFailureView), description: 'Every SIM of the job that failed, and why' }, 404, 422)
  failures(
    @CurrentAccountId() accountId: string,
    @Param('id') id: string,
    @Query(new ZodPipe(pageParams, 'query')) query: z.infer<typeof pageParams>,
  ) {
    return this.bulk.failures(accountId, id, query.limit, query.cursor);
  }
}
