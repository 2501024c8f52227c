import { ConfigError, loadConfig, parseDuration } from './app-config.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('with no environment at all, chooses the embedded shape and the documented defaults', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({
      host: '0.0.0.0',
      port: 3000,
      publicUrl: undefined,
      trustProxy: false,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 72_000,
    });
    expect(config.mqtt).toMatchObject({ port: 1883, wsPort: 8083, tls: undefined });
    expect(config.database).toEqual({ kind: 'pglite', dataDir: expect.stringMatching(/data[/\\]pglite$/) });
    expect(config.queue).toEqual({ kind: 'in-process' });
    expect(config.telemetry).toEqual({ kind: 'sql' });
    expect(config.adminApiKey).toBeUndefined();
    expect(config.logLevel).toBe('info');
  });

  it('chooses PostgreSQL, BullMQ and InfluxDB when their URLs are set', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/simfleet',
      REDIS_URL: 'redis://cache:6379',
      INFLUX_URL: 'http://tsdb:8086',
      INFLUX_DATABASE: 'fleet',
      INFLUX_USERNAME: 'writer',
      INFLUX_PASSWORD: 'secret',
    });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/simfleet', poolSize: 10 });
    expect(config.queue).toEqual({ kind: 'bullmq', redisUrl: 'redis://cache:6379', prefix: 'simfleet' });
    expect(config.telemetry).toMatchObject({ kind: 'influx', url: 'http://tsdb:8086', database: 'fleet', username: 'writer', password: 'secret' });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).database.kind).toBe('pglite');
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT expects a port number from 0 to 65535; got "abc"$/],
    [{ PORT: '70000' }, /^PORT expects a port number from 0 to 65535; got "70000"$/],
    [{ MQTT_PORT: '-1' }, /^MQTT_PORT expects a port number/],
    [{ DATABASE_URL: 'mysql://x/y' }, /^DATABASE_URL expects a URL starting with postgres:\/\/ or postgresql:\/\//],
    [{ REDIS_URL: 'localhost:6379' }, /^REDIS_URL expects a URL/],
    [{ INFLUX_URL: 'ftp://x' }, /^INFLUX_URL expects a URL starting with http:\/\/ or https:\/\//],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL expects one of/],
    [{ SHUTDOWN_TIMEOUT: '10 seconds' }, /^SHUTDOWN_TIMEOUT expects a duration such as 500ms/],
    [{ MQTT_TLS_CERT_FILE: '/etc/cert.pem' }, /^MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE expects both to be set/],
  ])('rejects %j with a message naming the variable', (env, expected) => {
    const problems = problemsOf(env as Record<string, string>);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it('never echoes a secret in its message', () => {
    const [problem] = problemsOf({ ADMIN_API_KEY: 'short-secret' });
    expect(problem).toMatch(/^ADMIN_API_KEY expects at least 24 characters/);
    expect(problem).not.toContain('short-secret');
  });

  it('reports every wrong variable at once', () => {
    expect(
      problemsOf({ PORT: 'x', LOG_LEVEL: 'y', REDIS_URL: 'z' })
        .map((p) => p.split(' ')[0])
        .sort(),
    ).toEqual(['LOG_LEVEL', 'PORT', 'REDIS_URL']);
  });
});

describe('identity settings', () => {
  it('defaults to 30-minute idle and 12-hour sessions, 12-character passwords, growing delays after 5 and 20 failures', () => {
    const { identity, secrets } = loadConfig({});
    expect(identity).toEqual({
      cookieSecure: 'auto',
      sessionIdleMs: 1_800_000,
      sessionMaxAgeMs: 43_200_000,
      passwordMinLength: 12,
      inviteTtlMs: 604_800_000,
      passwordResetTtlMs: 86_400_000,
      mfaIssuer: 'simfleet',
      throttle: { failuresPerUser: 5, failuresPerAddress: 20, maxDelayMs: 900_000 },
      auditRetentionMs: 400 * 86_400_000,
      smtp: undefined,
    });
    expect(secrets).toEqual({ key: null, previousKeys: [] });
  });

  it('reads SMTP, the public URL, the proxy trust and the cookie flag', () => {
    const config = loadConfig({
      SMTP_URL: 'smtps://u:p@mail.example.com:465',
      PUBLIC_URL: 'https://fleet.example.com/',
      TRUST_PROXY: '10.0.0.0/8, 192.168.1.1',
      COOKIE_SECURE: 'true',
    });
    expect(config.identity.smtp).toEqual({ url: 'smtps://u:p@mail.example.com:465', from: 'simfleet <no-reply@localhost>' });
    expect(config.http).toMatchObject({ publicUrl: 'https://fleet.example.com', trustProxy: ['10.0.0.0/8', '192.168.1.1'] });
    expect(config.identity.cookieSecure).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
  });

  it('takes a 32-byte SECRETS_KEY, requires one in production, and never echoes it', () => {
    const key = Buffer.alloc(32, 7);
    expect(loadConfig({ SECRETS_KEY: key.toString('base64') }).secrets.key).toEqual(key);
    expect(loadConfig({ SECRETS_KEY: key.toString('hex') }).secrets.key).toEqual(key);
    expect(loadConfig({ SECRETS_KEY: key.toString('base64url') }).secrets.key).toEqual(key);
    const [short] = problemsOf({ SECRETS_KEY: 'c2hvcnQta2V5' });
    expect(short).toMatch(/^SECRETS_KEY expects a 32-byte key/);
    expect(short).not.toContain('c2hvcnQta2V5');
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^SECRETS_KEY expects a value in production/)]);
    expect(problemsOf({ SMTP_URL: 'smtp://user:hunter2@' })[0]).not.toContain('hunter2');
    expect(problemsOf({ PASSWORD_MIN_LENGTH: '4' })[0]).toMatch(/^PASSWORD_MIN_LENGTH expects/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
});
