import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { Database } from './database.js';
import { migrate } from './migrator.js';
import { PgliteDatabase } from './pglite.database.js';
import { PostgresDatabase } from './postgres.database.js';
import { REPOSITORIES } from './repositories/repositories.js';
import { SecretsModule } from './secrets/secrets.module.js';
import { UnitOfWork } from './unit-of-work.js';

/** Opens the system of record chosen by the configuration: PostgreSQL with DATABASE_URL, PGlite otherwise. */
export async function openDatabase(config: AppConfig): Promise<Database> {
  return config.database.kind === 'postgres'
    ? new PostgresDatabase(config.database.url, config.database.poolSize)
    : PgliteDatabase.open(config.database.dataDir);
}

/**
 * The system of record and its repositories. Global, like the other infrastructure modules (config, clock,
 * observability, queue, telemetry store): every feature module uses them, and the feature modules' own
 * imports then show how features depend on each other.
 */
@Global()
@Module({
  // Repositories that keep secrets seal them (SecretBox).
  imports: [SecretsModule],
  providers: [
    ...REPOSITORIES,
    {
      provide: Database,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => {
        const db = await openDatabase(config);
        const applied = await migrate(db);
        if (applied.length) new Logger('Migrations').log(`applied ${applied.join(', ')}`);
        return db;
      },
    },
    UnitOfWork,
  ],
  exports: [Database, UnitOfWork, ...REPOSITORIES],
})
export class PersistenceModule implements OnApplicationShutdown {
  constructor(@Inject(Database) private readonly db: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}
