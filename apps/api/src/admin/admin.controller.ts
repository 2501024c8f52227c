import { Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { DeadLettersService } from '@simfleet/application';
import { decodeCursor, toPage } from '@simfleet/domain';
import type { DeadLetterRecord } from '@simfleet/persistence';
import { RequireScope, ApiRoute, ApiQueryFrom, openApiSchema, pageQuery, ZodPipe } from '@simfleet/http';
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
  replayedAt: z.string().nullable().describe('When the job was queued again (POST …/replay); null until then'),
  replayJobId: z.string().nullable().describe('The job it was queued again as'),
});

const present = (d: DeadLetterRecord) => ({
  ...d,
  failedAt: d.failedAt.toISOString(),
  replayedAt: d.replayedAt?.toISOString() ?? null,
});

@ApiTags('admin')
@Controller('v1/admin')
@RequireScope('admin')
export class AdminController {
  constructor(@Inject(DeadLettersService) private readonly deadLetters: DeadLettersService) {}

  @Get('dead-letters')
  @ApiQueryFrom(pageParams)
  @ApiRoute({ schema: pageOf(deadLetterView), description: 'Jobs that failed every attempt, with their payload, last error and replay' }, 422)
  async list(@Query(new ZodPipe(pageParams, 'query')) query: z.infer<typeof pageParams>) {
    const rows = await this.deadLetters.list(query.limit + 1, query.cursor ? decodeCursor(query.cursor) : undefined);
    return toPage(rows.map(present), query.limit, (d) => d.id);
  }

  @Post('dead-letters/:id/replay')
  @HttpCode(202)
  @ApiParam({ name: 'id', description: 'Dead letter id' })
  @ApiRoute({ status: 202, schema: deadLetterView, description: 'The job queued again with its payload, as job `replayJobId`' }, 404, 409)
  @ApiResponse({
    status: 200,
    description: 'Replayed already: the dead letter as it stands, nothing queued again',
    content: { 'application/json': { schema: openApiSchema(deadLetterView, 'output') } },
  })
  async replay(@Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const { deadLetter, replayed } = await this.deadLetters.replay(id);
    if (!replayed) reply.status(200);
    return present(deadLetter);
  }
}
