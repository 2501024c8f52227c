import { Module, type DynamicModule } from '@nestjs/common';
import { OpsModule } from '@simfleet/http';
import { ClockModule } from '@simfleet/application';
import type { Clock } from '@simfleet/domain';
import { ConfigModule, type AppConfig } from '@simfleet/config';
import { ObservabilityModule } from '@simfleet/observability';
import { PersistenceModule } from '@simfleet/persistence';
import { QueueModule } from '@simfleet/queue';
import { TelemetryModule } from '@simfleet/telemetry';

import type { PlatformRole } from './platform-role.js';

/** The root module of a process: the shared infrastructure, plus the modules of the roles it runs. */
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, roles: readonly PlatformRole[], clock?: Clock): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule.forRoot(clock),
        ObservabilityModule,
        PersistenceModule,
        QueueModule,
        TelemetryModule,
        OpsModule,
        ...roles.map((role) => role.module),
      ],
    };
  }
}
