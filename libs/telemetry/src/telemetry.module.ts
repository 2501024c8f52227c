import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { UnitOfWork } from '@simfleet/persistence';
import { InfluxTelemetryStore } from './influx-telemetry.store.js';
import { SqlTelemetryStore } from './sql-telemetry.repository.js';
import { TelemetryStore } from './telemetry-store.js';

@Global()
@Module({
  providers: [
    {
      provide: TelemetryStore,
      inject: [APP_CONFIG, UnitOfWork],
      useFactory: async (config: AppConfig, unit: UnitOfWork): Promise<TelemetryStore> => {
        const store = config.telemetry.kind === 'influx' ? new InfluxTelemetryStore(config.telemetry) : new SqlTelemetryStore(unit);
        await store.init();
        return store;
      },
    },
  ],
  exports: [TelemetryStore],
})
export class TelemetryModule implements OnApplicationShutdown {
  constructor(@Inject(TelemetryStore) private readonly store: TelemetryStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
