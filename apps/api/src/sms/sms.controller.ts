import { timingSafeEqual, createHash } from 'node:crypto';
import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiHeader, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { SmsService } from '@simfleet/application';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { DomainError, ErrorCode, DEFAULT_WAKE_UP_TEXT, SMS_KINDS, SMS_STATUSES, type SmsMessage } from '@simfleet/domain';
import {
  CurrentAccountId,
  Public,
  RequireScope,
  ApiProblems,
  ApiRoute,
  ApiJsonBody,
  ApiQueryFrom,
  openApiSchema,
  pageQuery,
  ZodPipe,
} from '@simfleet/http';
import { pageOf } from '../http/views.js';

const MAX_VALIDITY_SECONDS = 7 * 24 * 3600;
const validitySeconds = z
  .number()
  .int()
  .min(1)
  .max(MAX_VALIDITY_SECONDS)
  .optional()
  .describe('How long the network keeps trying to deliver, in seconds (1 to 604800; default SMS_DEFAULT_VALIDITY, 24 h)');
// The length limit is checked in segments by the domain (422 naming the segments needed); this only bounds the body.
// A schema cannot say it (it depends on the encoding): the document names the rule in `x-limited-by`.
const SEGMENT_RULE = 'SMS_MAX_SEGMENTS segments (default 6): 160 GSM-7 characters in one segment, 153 per segment beyond; 70 and 67 in UCS-2';
const smsText = () => z.string().max(10_000).meta({ 'x-limited-by': SEGMENT_RULE });
const smsBody = z
  .object({ text: smsText().describe(`GSM-7 or, if any character needs it, UCS-2; at most ${SEGMENT_RULE}`), validitySeconds })
  .strict();
const wakeUpBody = z
  .object({ text: smsText().optional().describe(`Default "${DEFAULT_WAKE_UP_TEXT}"; at most ${SEGMENT_RULE}`), validitySeconds })
  .strict();
const pageParams = z.object(pageQuery);
const reportBody = z
  .object({
    messageId: z.string().min(1).max(200).describe('The provider’s message id, as returned when the message was submitted'),
    status: z.enum(['sent', 'delivered', 'failed', 'expired']),
    reason: z.string().max(500).optional(),
  })
  .strict();

const instant = z.string().describe('ISO 8601 date-time (UTC)');
export const smsView = z.object({
  id: z.string(),
  iccid: z.string(),
  kind: z.enum(SMS_KINDS),
  text: z.string(),
  encoding: z.enum(['gsm7', 'ucs2']),
  segments: z.number().int().describe('Each submitted segment is billed as one SMS MT'),
  status: z.enum(SMS_STATUSES),
  statusReason: z.string().nullable(),
  gateway: z.string(),
  validityUntil: instant,
  submittedAt: instant.nullable().describe('When the gateway took the message (the billing moment); null if it never did'),
  sentAt: instant.nullable(),
  deliveredAt: instant.nullable(),
  createdAt: instant,
  updatedAt: instant,
});

const present = (m: SmsMessage) => {
  const { accountId: _account, gatewayMessageId: _gatewayId, ...view } = m;
  return view;
};

const SimRef = () => ApiParam({ name: 'iccid', description: 'ICCID, or the SIM’s name' });

@ApiTags('sms')
@Controller('v1')
export class SmsController {
  constructor(@Inject(SmsService) private readonly sms: SmsService) {}

  @Post('sims/:iccid/sms')
  @HttpCode(202)
  @RequireScope('write')
  @SimRef()
  @ApiJsonBody(smsBody)
  @ApiRoute(
    { status: 202, schema: smsView, description: 'Accepted for delivery; follow `status` with GET /v1/sms/{id} or the sms.* events' },
    404,
    409,
    422,
    503,
  )
  send(@CurrentAccountId() accountId: string, @Param('iccid') ref: string, @Body(new ZodPipe(smsBody)) body: z.infer<typeof smsBody>) {
    return this.sms.send(accountId, ref, 'sms', body).then(present);
  }

  @Post('sims/:iccid/wake-up')
  @HttpCode(202)
  @RequireScope('write')
  @SimRef()
  @ApiJsonBody(wakeUpBody)
  @ApiRoute({ status: 202, schema: smsView, description: 'A wake-up SMS (kind `wake-up`), accepted for delivery' }, 404, 409, 422, 503)
  wakeUp(
    @CurrentAccountId() accountId: string,
    @Param('iccid') ref: string,
    @Body(new ZodPipe(wakeUpBody.optional())) body?: z.infer<typeof wakeUpBody>,
  ) {
    return this.sms
      .send(accountId, ref, 'wake-up', { text: body?.text ?? DEFAULT_WAKE_UP_TEXT, validitySeconds: body?.validitySeconds })
      .then(present);
  }

  @Get('sims/:iccid/sms')
  @RequireScope('read')
  @SimRef()
  @ApiQueryFrom(pageParams)
  @ApiRoute({ schema: pageOf(smsView), description: 'The SIM’s SMS, newest first' }, 404, 422)
  async list(
    @CurrentAccountId() accountId: string,
    @Param('iccid') ref: string,
    @Query(new ZodPipe(pageParams, 'query')) query: z.infer<typeof pageParams>,
  ) {
    const page = await this.sms.listBySim(accountId, ref, query.limit, query.cursor);
    return { data: page.data.map(present), nextCursor: page.nextCursor };
  }

  @Get('sms/:id')
  @RequireScope('read')
  @ApiRoute({ schema: smsView }, 404)
  get(@CurrentAccountId() accountId: string, @Param('id') id: string) {
    return this.sms.get(accountId, id).then(present);
  }
}

/** Delivery reports of the HTTP SMS provider (docs/sms.md): authenticated by the shared secret, not an API key. */
@ApiTags('sms')
@Controller('v1/sms-provider')
export class SmsProviderController {
  private readonly secretDigest: Buffer | null;

  constructor(
    @Inject(SmsService) private readonly sms: SmsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const gateway = config.sms.gateway;
    this.secretDigest = gateway.kind === 'http-provider' ? createHash('sha256').update(gateway.webhookSecret).digest() : null;
  }

  @Post('delivery-reports')
  @HttpCode(200)
  @Public()
  @ApiHeader({ name: 'authorization', description: '`Bearer <SMS_PROVIDER_WEBHOOK_SECRET>`', required: true })
  @ApiJsonBody(reportBody)
  @ApiResponse({
    status: 200,
    description: 'The message after the report',
    content: { 'application/json': { schema: openApiSchema(smsView, 'output') } },
  })
  @ApiProblems(401, 404, 422)
  async report(@Headers('authorization') authorization: string | undefined, @Body(new ZodPipe(reportBody)) body: z.infer<typeof reportBody>) {
    if (!this.secretDigest) throw new DomainError(ErrorCode.NotFound, 'No SMS provider is configured on this platform', { resource: 'sms-provider' });
    const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    // Compared as digests: constant time, whatever the length of what was sent.
    const given = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    if (!match || !timingSafeEqual(given, this.secretDigest)) {
      throw new DomainError(ErrorCode.Unauthenticated, 'Send the shared delivery-report secret as `Authorization: Bearer <secret>`');
    }
    return present(await this.sms.applyReport({ gatewayMessageId: body.messageId, status: body.status, reason: body.reason }));
  }
}
