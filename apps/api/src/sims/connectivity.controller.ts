import { Body, Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ConnectivityService } from '@simfleet/application';
import { CurrentAccountId, RequireScope, ApiRoute, ApiJsonBody, ZodPipe } from '@simfleet/http';

const testBody = z
  .object({
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(30_000)
      .optional()
      .describe('How long to wait for the device’s answer; default CONNECTIVITY_TEST_TIMEOUT (5 s)'),
  })
  .strict();

const testView = z.discriminatedUnion('result', [
  z.object({
    iccid: z.string(),
    result: z.literal('answered'),
    correlationId: z.string(),
    roundTripMs: z.number().int().describe('From sending the ping to receiving the answer'),
  }),
  z.object({ iccid: z.string(), result: z.literal('timeout'), correlationId: z.string(), timeoutMs: z.number().int() }),
  z.object({ iccid: z.string(), result: z.literal('offline').describe('No broker holds a connection of the device') }),
]);
const resetView = z.object({ iccid: z.string(), result: z.enum(['disconnected', 'offline']) });

@ApiTags('sims')
@Controller('v1/sims')
export class ConnectivityController {
  constructor(@Inject(ConnectivityService) private readonly connectivity: ConnectivityService) {}

  @Post(':iccid/connectivity-test')
  @HttpCode(200)
  @RequireScope('write')
  @ApiParam({ name: 'iccid', description: 'ICCID, or the SIM’s name' })
  @ApiJsonBody(testBody.optional(), 'Optional')
  @ApiRoute(
    {
      schema: testView,
      description:
        'Publishes `{"type":"ping","correlationId"}` on `things/{iccid}/commands` and waits for a status record carrying that correlationId on `things/{iccid}/status`',
    },
    404,
    422,
  )
  test(@CurrentAccountId() accountId: string, @Param('iccid') ref: string, @Body(new ZodPipe(testBody.optional())) body?: z.infer<typeof testBody>) {
    return this.connectivity.test(accountId, ref, body?.timeoutMs);
  }

  @Post(':iccid/reset-connectivity')
  @HttpCode(200)
  @RequireScope('write')
  @ApiParam({ name: 'iccid', description: 'ICCID, or the SIM’s name' })
  @ApiRoute({ schema: resetView, description: 'Closes the device’s MQTT connection (reason kicked_connectivity_reset); the device reconnects' }, 404)
  reset(@CurrentAccountId() accountId: string, @Param('iccid') ref: string) {
    return this.connectivity.reset(accountId, ref);
  }
}
