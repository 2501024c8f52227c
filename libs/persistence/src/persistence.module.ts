import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@simfleet/config';
import { Database } from './database.js';
import { migrate } from './migrator.js';
import { PgliteDatabase } from './pglite.database.js';
import { PostgresDatabase } from './postgres.database.js';
import { UnitOfWork } from './unit-of-work.js';

/** Opens the system of record chosen by the configuration: PostgreSQL with DATABASE_URL, PGlite otherwise. */
export async function openDatabase(config: AppConfig): Promise<Database> {
  return config.database.kind === 'postgres'
    ? new PostgresDatabase(config.database.url, config.database.poolSize)
    : PgliteDatabase.open(config.database.dataDir);
}

@Global()
@Module({
  providers: [
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
  exports: [Database, UnitOfWork],
})
export class PersistenceModule implements OnApplicationShutdown {
  constructor(@Inject(Database) private readonly db: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}
