import { Controller, Get, Header, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { DomainError, ErrorCode } from '@simfleet/domain';
import { Metrics } from '@simfleet/observability';
import { Database } from '@simfleet/persistence';
import { JobQueue, RedisConnections } from '@simfleet/queue';
import { TelemetryStore } from '@simfleet/telemetry';
import { Public } from '../auth.guard.js';
import { problemContent } from '../openapi.js';

const CHECK_TIMEOUT_MS = 2_000;

@ApiTags('operations')
@Controller()
@Public()
export class OpsController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(Database) private readonly db: Database,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(TelemetryStore) private readonly telemetry: TelemetryStore,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(RedisConnections) private readonly redis: RedisConnections,
  ) {}

  @Get('health')
  @ApiResponse({
    status: 200,
    description: 'The process is alive',
    content: { 'application/json': { schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } } },
  })
  liveness() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiResponse({
    status: 200,
    description: 'Every configured dependency answers (database, queue, telemetry store, every Redis connection)',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['ok'] },
            info: { type: 'object', additionalProperties: { type: 'object' } },
            error: { type: 'object', additionalProperties: { type: 'object' } },
            details: { type: 'object', additionalProperties: { type: 'object' } },
          },
        },
      },
    },
  })
  @ApiResponse({ status: 503, description: 'A dependency does not answer: problem+json with `checks`', content: problemContent })
  async readiness() {
    try {
      return await this.health.check([
        () =>
          this.indicators
            .check(`database:${this.db.kind}`)
            .attempt(() => this.db.ping())
            .withTimeout(CHECK_TIMEOUT_MS),
        () =>
          this.indicators
            .check(`queue:${this.queue.kind}`)
            .attempt(() => this.queue.ping())
            .withTimeout(CHECK_TIMEOUT_MS),
        () =>
          this.indicators
            .check(`telemetry:${this.telemetry.kind}`)
            .attempt(() => this.telemetry.ping())
            .withTimeout(CHECK_TIMEOUT_MS),
        // Every Redis connection of this process (the broker's sessions and pub/sub, the control plane...), not only the queue's.
        ...(this.redis.enabled
          ? [
              () =>
                this.indicators
                  .check('redis')
                  .attempt(async () => this.redis.assertReady())
                  .withTimeout(CHECK_TIMEOUT_MS),
            ]
          : []),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const checks = error.getResponse() as { error?: Record<string, unknown>; details?: Record<string, unknown> };
      throw new DomainError(ErrorCode.DependencyUnavailable, `Not ready: ${Object.keys(checks.error ?? {}).join(', ')} unavailable`, {
        checks: checks.details ?? {},
      });
    }
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiExcludeEndpoint()
  async prometheus(): Promise<string> {
    return this.metrics.render();
  }
}
