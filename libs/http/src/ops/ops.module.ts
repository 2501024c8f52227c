import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { AccountsModule, IdentityModule } from '@simfleet/application';
import { RedisConnectionsModule } from '@simfleet/queue';
import { ApiKeyGuard } from '../auth.guard.js';
import { ProblemDetailsFilter } from '../problem.filter.js';
import { OpsController } from './ops.controller.js';

/** What every process serves over HTTP, whatever its role: health, readiness, metrics; and the error format. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), AccountsModule, IdentityModule, RedisConnectionsModule],
  controllers: [OpsController],
  providers: [
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
  ],
})
export class OpsModule {}
