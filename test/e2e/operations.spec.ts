import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims } from './support/fleet.js';
import { ADMIN_KEY, startTestPlatform, type TestPlatform } from './support/platform.js';

const PROVIDER_CALLBACKS = ['/v1/sms-provider/delivery-reports'];
// Reached before one has credentials (sign-in, invite acceptance, password reset): documented as public.
const PUBLIC_OPERATIONS = [
  'post /v1/sessions',
  'post /v1/invites/inspect',
  'post /v1/invites/accept',
  'post /v1/password-resets',
  'post /v1/password-resets/accept',
];

describe('operations endpoints (embedded shape)', () => {
  let dataDir: string;
  let platform: TestPlatform;
  let anonymous: ApiClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-ops-'));
    platform = await startTestPlatform({ DATA_DIR: dataDir });
    anonymous = new ApiClient(platform.url);
  });
  afterAll(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves liveness and readiness without a key', async () => {
    expect(await anonymous.get('/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ready = await anonymous.get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
  });

  it('echoes a request id, or makes one', async () => {
    const mine = await anonymous.get('/health', { 'x-request-id': 'trace-42' });
    expect(mine.headers.get('x-request-id')).toBe('trace-42');
    const made = await anonymous.get('/health');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exposes Prometheus metrics: HTTP latency, MQTT connections, ingested records, queue depth, job failures', async () => {
    const admin = new ApiClient(platform.url, ADMIN_KEY);
    const account = await createAccount(admin, 'Metrics');
    const [iccid] = await orderSims(admin, account, 1);
    const secret = await activate(account, iccid);
    const device = await mqtt.connectAsync(platform.mqttUrl, { username: iccid, password: secret, reconnectPeriod: 0 });
    await device.publishAsync(`things/${iccid}/status`, JSON.stringify({ imei: '490154203237518', at: new Date().toISOString() }), { qos: 1 });

    const metrics = await eventually(async () => {
      const res = await anonymous.get('/metrics');
      return /simfleet_stored_records_total\{kind="status"\} 1/.test(res.body) ? res : undefined;
    });
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/simfleet_http_request_duration_seconds_bucket\{.*route="\/v1\/accounts".*\}/);
    expect(metrics.body).toMatch(/^simfleet_mqtt_connections 1$/m);
    expect(metrics.body).toMatch(/simfleet_ingested_records_total\{kind="status"\} 1/);
    expect(metrics.body).toMatch(/simfleet_queue_depth\{queue="telemetry.ingest"\} 0/);
    expect(metrics.body).toMatch(/# TYPE simfleet_job_failures_total counter/);
    await device.endAsync();
    await eventually(async () => (/^simfleet_mqtt_connections 0$/m.test((await anonymous.get('/metrics')).body) ? true : undefined));
  });

  it('publishes a complete OpenAPI document and the docs page', async () => {
    const doc = await anonymous.get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    const paths = doc.body.paths as Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown; requestBody?: unknown }>>;
    for (const required of [
      '/v1/accounts',
      '/v1/accounts/{id}/api-keys',
      '/v1/stock',
      '/v1/orders',
      '/v1/orders/{id}/cancel',
      '/v1/sims',
      '/v1/sims/{iccid}',
      '/v1/sims/{iccid}/activate',
      '/v1/sims/{iccid}/usage',
      '/v1/sims/{iccid}/history',
      '/v1/sims/{iccid}/credentials',
      '/v1/events',
      '/v1/admin/dead-letters',
      '/v1/admin/dead-letters/{id}/replay',
      '/health',
      '/ready',
    ]) {
      expect(Object.keys(paths)).toContain(required);
    }
    // Every /v1 operation documents its success, its auth errors and a problem+json schema.
    for (const [route, operations] of Object.entries(paths).filter(([route]) => route.startsWith('/v1/'))) {
      for (const [method, operation] of Object.entries(operations)) {
        const codes = Object.keys(operation.responses);
        expect({ route, method, ok: codes.some((c) => c.startsWith('2')) }).toEqual({ route, method, ok: true });
        if (PROVIDER_CALLBACKS.includes(route)) {
          // Called by the SMS provider with its shared secret, not an API key: 401 but no scopes.
          expect(codes).toContain('401');
        } else if (PUBLIC_OPERATIONS.includes(`${method} ${route}`)) {
          expect({ route, method, security: operation.security }).toEqual({ route, method, security: [] });
        } else {
          expect({ route, method, auth: codes.includes('401') && codes.includes('403') }).toEqual({ route, method, auth: true });
          expect(operation.security).toBeDefined();
        }
        if (method === 'post' || method === 'put' || method === 'patch') {
          expect({ route, method, invalid: codes.includes('422') || codes.includes('409') || codes.includes('404') }).toEqual({
            route,
            method,
            invalid: true,
          });
        }
      }
    }
    const activateOp = paths['/v1/sims/{iccid}/activate'].post as unknown as { responses: Record<string, { content: Record<string, unknown> }> };
    expect(Object.keys(activateOp.responses['409'].content)).toEqual(['application/problem+json']);
    const page = await anonymous.get('/docs');
    expect(page.status).toBe(200);
    expect(String(page.body)).toMatch(/swagger-ui/i);
  });
});

describe('readiness with a dependency down', () => {
  it('answers 503 problem+json naming the dependency', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-ops-'));
    // An InfluxDB URL where nothing listens: the platform starts (writes would retry) but is not ready.
    const platform = await startTestPlatform({ DATA_DIR: dataDir, INFLUX_URL: 'http://127.0.0.1:9' });
    try {
      const ready = await new ApiClient(platform.url).get('/ready');
      expect(ready.status).toBe(503);
      expect(ready.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(ready.body).toMatchObject({ type: '/problems/dependency-unavailable', detail: expect.stringContaining('telemetry:influx') });
      expect(ready.body.checks['telemetry:influx'].status).toBe('down');
      expect(ready.body.checks['database:pglite'].status).toBe('up');
      expect((await new ApiClient(platform.url).get('/health')).status).toBe(200);
    } finally {
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
