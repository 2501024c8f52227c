import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configSchema } from '@simfleet/config';

// Docker does not run on our machines: this checks the compose file against the configuration schema.
const compose = parse(readFileSync(path.resolve('docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; command?: string[]; image?: string; build?: string; restart?: string }>;
};
const known = new Set(Object.keys(configSchema.shape));
const platformServices = ['api', 'broker', 'worker'];

describe('docker-compose.yml', () => {
  it('starts the production shape: PostgreSQL, Redis, InfluxDB and the three roles', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'broker', 'influxdb', 'postgres', 'redis', 'worker']);
    for (const name of platformServices) expect(compose.services[name].command).toEqual(['node', `dist/apps/${name}/src/main.js`]);
  });

  it.each(platformServices)('%s sets only variables the configuration schema knows', (name) => {
    const env = compose.services[name].environment ?? {};
    expect(Object.keys(env).length).toBeGreaterThan(3);
    expect(Object.keys(env).filter((variable) => !known.has(variable))).toEqual([]);
  });

  it('gives each role the servers it needs', () => {
    for (const name of platformServices) {
      expect(compose.services[name].environment).toEqual(
        expect.objectContaining({ DATABASE_URL: expect.stringMatching(/^postgres:\/\//), REDIS_URL: expect.stringMatching(/^redis:\/\//) }),
      );
    }
  });

  it('gives every role the one SECRETS_KEY production requires', () => {
    for (const name of platformServices) expect(compose.services[name].environment?.SECRETS_KEY).toMatch(/^\$\{SECRETS_KEY:\?/);
  });

  it('runs Redis as BullMQ requires it (AOF on, noeviction)', () => {
    const redis = compose.services.redis as { command: string[] };
    expect(redis.command.join(' ')).toMatch(/--appendonly yes/);
    expect(redis.command.join(' ')).toMatch(/--maxmemory-policy noeviction/);
  });

  it('restarts every service unless it was stopped (a crashed role or server comes back)', () => {
    for (const [name, service] of Object.entries(compose.services))
      expect({ name, restart: service.restart }).toEqual({ name, restart: 'unless-stopped' });
  });

  it('uses an InfluxDB that serves the v1 /write and /query API', () => {
    expect(compose.services.influxdb.image).toMatch(/^influxdb:1\./);
  });
});
