import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { decodeCursor, toPage } from '@simfleet/domain';
import { DeadLetterRepository } from '@simfleet/persistence';
import { RequireScope, ApiRoute, ApiQueryFrom, pageQuery, ZodPipe } from '@simfleet/http';
import { pageOf } from '../http/views.js';

const pageParams = z.object(pageQuery);
const deadLetterView = z.object({
  id: z.string(),
  queue: z.string(),
  jobName: z.string(),
  jobId: z.string().nullable(),
  payload: z.unknown(),
  error: z.string(),
  attempts: z.number().int(),
  failedAt: z.string(),
});

@ApiTags('admin')
@Controller('v1/admin')
@RequireScope('admin')
export class AdminController {
  constructor(@Inject(DeadLetterRepository) private readonly deadLetters: DeadLetterRepository) {}

  @Get('dead-letters')
  @ApiQueryFrom(pageParams)
  @ApiRoute({ schema: pageOf(deadLetterView), description: 'Jobs that failed every attempt, with their payload and last error' }, 422)
  async list(@Query(new ZodPipe(pageParams, 'query')) query: z.infer<typeof pageParams>) {
    const rows = await this.deadLetters.list(query.limit + 1, query.cursor ? decodeCursor(query.cursor) : undefined);
    return toPage(rows, query.limit, (d) => d.id);
  }
}
