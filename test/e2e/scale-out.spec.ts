import mqtt from 'mqtt';
import { requireServers } from '../harness/isolation.js';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims } from './support/fleet.js';
import { ADMIN_KEY, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { dayOf } from '../support/test-time.js';

// Yesterday: a day in the past and inside the telemetry retention whatever the date of the run.
const [DAY, NEXT_DAY] = [dayOf(new Date(), -1), dayOf(new Date())];

// The scale-out shape: api, broker and worker as separate platforms sharing PostgreSQL, Redis and InfluxDB.
requireServers(
  'postgres',
  'redis',
  'influx',
)('scale-out: api, broker and worker as separate processes', () => {
  let resources: ShapeResources;
  let api: TestPlatform;
  let broker: TestPlatform;
  let worker: TestPlatform;

  beforeAll(async () => {
    resources = await provisionShape('servers');
    worker = await startTestPlatform(resources.env, ['worker']);
    broker = await startTestPlatform(resources.env, ['broker']);
    api = await startTestPlatform(resources.env, ['api']);
  });
  afterAll(async () => {
    for (const platform of [api, broker, worker]) await platform?.stop();
    await resources?.release();
  });

  it('serves each role alone: only the api serves /v1 and the docs, every role serves ops endpoints', async () => {
    for (const platform of [api, broker, worker]) {
      expect((await new ApiClient(platform.url).get('/health')).status).toBe(200);
      expect((await new ApiClient(platform.url).get('/ready')).status).toBe(200);
    }
    expect((await new ApiClient(worker.url, ADMIN_KEY).get('/v1/accounts')).status).toBe(404);
    expect((await new ApiClient(broker.url).get('/openapi.json')).status).toBe(404);
    expect(api.platform.mqttPorts.tcp).toBeUndefined();
    expect(broker.platform.mqttPorts.tcp).toEqual(expect.any(Number));
  });

  it('carries a session from the broker process through the worker process to the api process, and a suspension back to the broker', async () => {
    const admin = new ApiClient(api.url, ADMIN_KEY);
    const account = await createAccount(admin);
    const [iccid] = await orderSims(admin, account, 1);
    const secret = await activate(account, iccid);

    const device = await mqtt.connectAsync(broker.mqttUrl, { username: iccid, password: secret, reconnectPeriod: 0 });
    await device.publishAsync(
      `things/${iccid}/sessions`,
      JSON.stringify({
        sessionId: 'scale-1',
        startedAt: `${DAY}T08:00:00Z`,
        endedAt: null,
        bytesUp: 500,
        bytesDown: 1500,
        mcc: '234',
        mnc: '15',
        rat: 'NB-IoT',
      }),
      { qos: 1 },
    );
    const usage = await eventually(async () => {
      const res = await account.api.get(`/v1/sims/${iccid}/usage?from=${DAY}T00:00:00Z&to=${NEXT_DAY}T00:00:00Z&interval=day`);
      return res.body.totals?.bytesTotal === 2000 ? res.body : undefined;
    });
    expect(usage.buckets).toEqual([{ start: `${DAY}T00:00:00.000Z`, bytesUp: 500, bytesDown: 1500, bytesTotal: 2000, sessions: 1 }]);

    // The api process suspends the SIM; the broker process, told over Redis, drops the device.
    const closed = new Promise<void>((resolve) => device.on('close', () => resolve()));
    expect((await account.api.post(`/v1/sims/${iccid}/suspend`, { reason: 'maintenance' })).body.status).toBe('suspended');
    await closed;
    await expect(mqtt.connectAsync(broker.mqttUrl, { username: iccid, password: secret, reconnectPeriod: 0 })).rejects.toThrow(/Not authorized/i);
  });
});
