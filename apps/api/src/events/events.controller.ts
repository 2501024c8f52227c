import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { decodeCursor, toPage } from '@simfleet/domain';
import { EventRepository } from '@simfleet/persistence';
import { CurrentAccountId, RequireScope, ApiRoute, ApiQueryFrom, instantInput, pageQuery, ZodPipe } from '@simfleet/http';
import { eventView, pageOf } from '../http/views.js';

const eventParams = z
  .object({
    type: z
      .string()
      .max(100)
      .regex(/^[a-z]+(\.[a-z_]+)*(\.\*)?$/, 'an event type such as sim.activated, or a prefix such as sim.*')
      .optional(),
    subject: z.string().min(1).max(200).optional().describe('ICCID, order id, …'),
    since: instantInput('Events that occurred at or after').optional(),
    ...pageQuery,
  })
  .strict();

@ApiTags('events')
@Controller('v1/events')
export class EventsController {
  constructor(@Inject(EventRepository) private readonly events: EventRepository) {}

  @Get()
  @RequireScope('read')
  @ApiQueryFrom(eventParams)
  @ApiRoute({ schema: pageOf(eventView), description: 'Stored events, oldest first' }, 422)
  async list(@CurrentAccountId() accountId: string, @Query(new ZodPipe(eventParams, 'query')) q: z.infer<typeof eventParams>) {
    const rows = await this.events.list({
      accountId,
      type: q.type,
      subject: q.subject,
      since: q.since ? new Date(q.since) : undefined,
      after: q.cursor ? decodeCursor(q.cursor) : undefined,
      limit: q.limit + 1,
    });
    return toPage(rows, q.limit, (e) => e.id);
  }
}
