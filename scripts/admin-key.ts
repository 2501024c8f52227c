// `npm run admin-key -- --rotate`: recovers platform admin access without deleting ./data. Revokes every
// stored admin key and prints a new one (once). Uses the same configuration as the platform (DATA_DIR,
// DATABASE_URL, ...). With the embedded database, stop the platform first: PGlite is single-process.
import { parseArgs } from 'node:util';
import { ApiKeyAuthenticator, AuthThrottle, MemoryFailureCounterStore, SystemClock } from '@simfleet/application';
import { ConfigError, loadConfig } from '@simfleet/config';
import { ApiKeyRepository, migrate, openDatabase } from '@simfleet/persistence';

const HELP = `Usage: npm run admin-key -- --rotate

Revokes every stored platform admin key and prints a new one, shown only this once.
ADMIN_API_KEY, when set, is not affected (it is configuration, not data).
With the embedded database (no DATABASE_URL), stop the platform first.`;

async function main(): Promise<void> {
  let values;
  try {
    values = parseArgs({ options: { rotate: { type: 'boolean' }, help: { type: 'boolean' } }, strict: true }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}\n`);
    process.exit(2);
  }
  if (values.help || !values.rotate) {
    process.stdout.write(`${HELP}\n`);
    process.exit(values.help ? 0 : 2);
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const clock = new SystemClock();
    const keys = new ApiKeyAuthenticator(
      new ApiKeyRepository(db),
      clock,
      // Rotation checks no presented key: the throttle is never consulted, an in-memory one will do.
      new AuthThrottle(new MemoryFailureCounterStore(), clock, config),
      config,
    );
    const { key, revoked } = await keys.rotateAdminKey(db);
    process.stdout.write(
      `Revoked ${revoked} stored admin key${revoked === 1 ? '' : 's'}. New platform admin API key (stored hashed, shown only this once — keep it):\n\n  ${key}\n\n`,
    );
  } finally {
    await db.close();
  }
}

await main();
