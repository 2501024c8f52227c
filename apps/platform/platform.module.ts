import { Module, type DynamicModule } from '@nestjs/common';
import { ApiModule } from '../api/src/api.module.js';
import { OpsModule } from '../api/src/ops/ops.module.js';
import { BrokerModule } from '../broker/src/broker.module.js';
import { WorkerModule } from '../worker/src/worker.module.js';
import { ApplicationModule } from '../../libs/application/src/application.module.js';
import { ClockModule } from '../../libs/application/src/clock/clock.module.js';
import type { Clock } from '../../libs/domain/src/clock/clock.js';
import { ConfigModule, type AppConfig } from '../../libs/config/src/index.js';
import { ObservabilityModule } from '../../libs/observability/src/index.js';
import { PersistenceModule } from '../../libs/persistence/src/persistence.module.js';
import { QueueModule } from '../../libs/queue/src/queue.module.js';
import { TelemetryModule } from '../../libs/telemetry/src/telemetry.module.js';

export const ROLES = ['api', 'broker', 'worker'] as const;
export type Role = (typeof ROLES)[number];

const ROLE_MODULES: Record<Role, DynamicModule['module']> = { api: ApiModule, broker: BrokerModule, worker: WorkerModule };

/** The root module of a process: the shared infrastructure, plus the modules of the roles it runs. */
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, roles: readonly Role[], clock?: Clock): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule.forRoot(clock),
        ObservabilityModule,
        PersistenceModule,
        QueueModule,
        TelemetryModule,
        ApplicationModule,
        OpsModule,
        ...roles.map((role) => ROLE_MODULES[role]),
      ],
    };
  }
}
