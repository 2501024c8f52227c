// `npm run migrate`: applies the versioned SQL migrations to the configured system of record
// (DATABASE_URL, or the embedded PGlite under DATA_DIR) and exits. The platform also migrates at startup.
import { ConfigError, loadConfig } from '@simfleet/config';
import { migrate, readMigrations, openDatabase } from '@simfleet/persistence';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 78;
    }
    throw error;
  }
  const db = await openDatabase(config);
  try {
    const applied = await migrate(db);
    const all = readMigrations().map((m) => m.version);
    process.stdout.write(
      applied.length
        ? `migrate: applied ${applied.join(', ')} to ${db.kind}; ${all.length} migrations in total\n`
        : `migrate: ${db.kind} is up to date (${all.length} migrations)\n`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`migrate failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
