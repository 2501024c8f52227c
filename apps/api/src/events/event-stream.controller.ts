import { Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { EventStream, type StreamSubscription } from '@simfleet/application';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { DomainError } from '@simfleet/domain';
import type { StreamPosition, StreamedEvent } from '@simfleet/persistence';
import { ApiProblems, ApiQueryFrom, CurrentAccountId, RequireScope, ZodPipe } from '@simfleet/http';

const TYPE = /^[a-z]+(\.[a-z_]+)*(\.\*)?$/;
/** `<transaction id>-<event id>`: opaque to clients, who only send back what they received. */
const POSITION = /^(\d{1,20})-([0-9A-HJKMNP-TV-Z]{26})?$/;
/** A client reading slower than this much buffered output is cut off; it resumes from its Last-Event-ID. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

const commaList = (item: z.ZodType<string>, max: number) =>
  z.preprocess(
    (value) => (value === undefined ? undefined : (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).filter(Boolean)),
    z.array(item).min(1).max(max),
  );

const streamParams = z
  .object({
    type: commaList(z.string().max(100).regex(TYPE, 'an event type such as sim.location.updated, or a prefix such as alert.*'), 50)
      .optional()
      .describe('Event types or `prefix.*`, comma-separated or repeated; all types when absent'),
    subject: commaList(z.string().min(1).max(200), 100)
      .optional()
      .describe('Subjects (ICCIDs, alert ids, job ids…), comma-separated or repeated, at most 100; all when absent'),
    lastEventId: z
      .string()
      .max(100)
      .regex(POSITION, 'an event stream id, as received in `id:`')
      .optional()
      .describe('Resume after this id (as the `Last-Event-ID` header)'),
  })
  .strict();

export const streamId = (p: StreamPosition) => `${p.txId}-${p.eventId}`;

function parsePosition(value: string, field: string): StreamPosition {
  const match = POSITION.exec(value);
  if (!match)
    throw DomainError.validation(`${field} is not an id this stream sent`, [{ field, message: 'an event stream id, as received in `id:`' }]);
  return { txId: match[1], eventId: match[2] ?? '' };
}

const envelope = ({ event }: StreamedEvent) => ({
  id: event.id,
  type: event.type,
  occurredAt: event.occurredAt,
  accountId: event.accountId,
  subject: event.subject,
  data: event.data,
  schemaVersion: event.schemaVersion,
});

@ApiTags('events')
@Controller('v1/events')
export class EventStreamController {
  constructor(
    @Inject(EventStream) private readonly stream: EventStream,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('stream')
  @RequireScope('read')
  @ApiQueryFrom(streamParams)
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this id: every event recorded since is sent, none twice' })
  @ApiBearerAuth()
  @ApiProduces('text/event-stream')
  @ApiResponse({
    status: 200,
    description:
      'Server-sent events (docs/events.md): each event as `id:` (its stream id), `event:` (its type) and `data:` (the event, as in GET /v1/events); ' +
      'a comment with the current `id:` every heartbeat. Reconnect with `Last-Event-ID` to miss nothing.',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiProblems(401, 403, 429, 422)
  async open(
    @CurrentAccountId() accountId: string,
    @Query(new ZodPipe(streamParams, 'query')) query: z.infer<typeof streamParams>,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const resumeFrom = lastEventIdHeader?.trim()
      ? parsePosition(lastEventIdHeader.trim(), 'Last-Event-ID')
      : query.lastEventId
        ? parsePosition(query.lastEventId, 'lastEventId')
        : await this.stream.currentPosition();

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies such as nginx must not buffer the stream.
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    });
    // Set once the subscription exists; `end` may run before (a client gone at once).
    const stream: { open: boolean; heartbeat?: NodeJS.Timeout; subscription?: StreamSubscription } = { open: true };
    const end = () => {
      if (!stream.open) return;
      stream.open = false;
      clearInterval(stream.heartbeat);
      stream.subscription?.close();
      raw.end();
    };
    const write = (chunk: string) => {
      if (!stream.open) return;
      raw.write(chunk);
      if (raw.writableLength > MAX_BUFFERED_BYTES) end();
    };
    // The first id lets a client that drops at once resume from here.
    write(`retry: 2000\nid: ${streamId(resumeFrom)}\n: connected\n\n`);
    const subscription = this.stream.subscribe(accountId, { types: query.type ?? [], subjects: query.subject ?? [] }, resumeFrom, {
      send: (events) =>
        write(events.map((e) => `id: ${streamId(e.position)}\nevent: ${e.event.type}\ndata: ${JSON.stringify(envelope(e))}\n\n`).join('')),
      end,
    });
    // The heartbeat carries the position too: a client whose filter let nothing through still resumes from here.
    stream.subscription = subscription;
    stream.heartbeat = setInterval(() => write(`: heartbeat\nid: ${streamId(subscription.position)}\n\n`), this.config.eventStream.heartbeatMs);
    request.raw.on('close', end);
  }
}
