import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pino } from 'pino';
import { loadConfig, type AppConfig } from '@simfleet/config';
import type { Clock } from '@simfleet/domain';
import { startPlatform, type RunningPlatform, type RoleName } from '@simfleet/bootstrap';
import { ROLE_NAMES, rolesNamed } from '../../../apps/platform/src/roles.js';
import { describeSecretsAtRest, recordSecret, secretsAtRest } from './secrets.js';
import { createInfluxDatabase, createTestDatabase, serverAvailable, serverUrl, uniqueRedisPrefix } from '../../harness/isolation.js';

// PGlite loads parts of itself with dynamic imports on first use. Doing that now, while the test file
// loads, keeps a platform start that fails half-way from importing after its hook has ended (which
// jest turns into a crash that hides the real error).
await (await PGlite.create()).close();

export type Shape = 'embedded' | 'servers';
export const ADMIN_KEY = 'test-admin-key-0123456789abcdefghijklmnop';

/** Shapes to run: both, or only the embedded one when the servers are not installed (outside CI). */
export const SHAPES: Shape[] =
  process.env.CI === 'true' || (serverAvailable('postgres') && serverAvailable('redis') && serverAvailable('influx'))
    ? ['embedded', 'servers']
    : ['embedded'];

export interface TestPlatform {
  platform: RunningPlatform;
  config: AppConfig;
  url: string;
  mqttUrl: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface ShapeResources {
  env: Record<string, string>;
  release(): Promise<void>;
}

/** Fresh, isolated backing stores for one suite: a temp dir (embedded), or a database, a Redis prefix and an Influx database (servers). */
export async function provisionShape(shape: Shape): Promise<ShapeResources> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-e2e-'));
  const env: Record<string, string> = { DATA_DIR: dataDir };
  const releases: Array<() => Promise<void>> = [async () => rmSync(dataDir, { recursive: true, force: true })];
  if (shape === 'servers') {
    const db = await createTestDatabase();
    const influx = await createInfluxDatabase();
    Object.assign(env, {
      DATABASE_URL: db.url,
      REDIS_URL: serverUrl('redis'),
      REDIS_PREFIX: uniqueRedisPrefix('e2e').replace(/:$/, ''),
      INFLUX_URL: influx.url,
      INFLUX_DATABASE: influx.database,
    });
    releases.push(
      () => db.drop(),
      () => influx.drop(),
    );
  }
  return {
    env,
    release: async () => {
      for (const release of releases.reverse()) await release();
    },
  };
}

/** Starts the platform in-process; `clock` lets a suite run it on a given day (the system clock otherwise). */
export async function startTestPlatform(
  env: Record<string, string>,
  roles: readonly RoleName[] = ROLE_NAMES,
  extra: Record<string, string> = {},
  clock?: Clock,
): Promise<TestPlatform> {
  // Suites poll with eventually() (up to 20 requests/s per key): the default rate limit would throttle them; api-conventions.spec.ts sets its own.
  const merged = {
    PORT: '0',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_API_KEY: ADMIN_KEY,
    LOG_LEVEL: 'silent',
    INGEST_BATCH_MAX_WAIT: '5ms',
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...env,
    ...extra,
  };
  const config = loadConfig(merged);
  recordSecret('ADMIN_API_KEY', merged.ADMIN_API_KEY);
  const platform = await startPlatform(config, rolesNamed(roles), pino({ level: 'silent' }), { clock });
  return {
    platform,
    config,
    env: merged,
    url: platform.httpUrl,
    mqttUrl: `mqtt://127.0.0.1:${platform.mqttPorts.tcp}`,
    // Every suite ends by looking for the secrets it was handed in the database (and Redis): none may be readable at rest.
    stop: async () => {
      const found = await secretsAtRest(platform, merged).finally(() => platform.close());
      if (found.length) throw new Error(`Secrets handed out by the API are readable at rest:\n${describeSecretsAtRest(found)}`);
    },
  };
}
