import mqtt from 'mqtt';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { dayOf } from '../support/test-time.js';

// Yesterday: a day in the past and inside the telemetry retention whatever the date of the run.
const [DAY, NEXT_DAY] = [dayOf(new Date(), -1), dayOf(new Date())];

describe.each(SHAPES)('vertical slice (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env);
    admin = new ApiClient(platform.url, ADMIN_KEY);
  });

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  it('runs on the configured parts', async () => {
    const ready = await new ApiClient(platform.url).get('/ready');
    expect(ready.status).toBe(200);
    const expected =
      shape === 'embedded'
        ? ['database:pglite', 'queue:in-process', 'telemetry:sql']
        : // and every Redis connection of the process (sessions, pub/sub, control plane), not only the queue's
          ['database:postgres', 'queue:bullmq', 'redis', 'telemetry:influx'];
    expect(Object.keys(ready.body.details).sort()).toEqual(expected);
  });

  it('carries a data session from a real MQTT client to GET /v1/sims/{iccid}/usage', async () => {
    const account = await createAccount(admin);
    const [iccid] = await orderSims(admin, account, 1);
    const inventory = await account.api.get(`/v1/sims/${iccid}`);
    expect(inventory.body).toMatchObject({ iccid, status: 'inventory', accountId: account.accountId });

    const secret = await activate(account, iccid);
    const client = await mqtt.connectAsync(platform.mqttUrl, { username: iccid, password: secret, clientId: `dev-${iccid}`, reconnectPeriod: 0 });
    const startedAt = `${DAY}T10:00:00.000Z`;
    await client.publishAsync(
      `things/${iccid}/sessions`,
      JSON.stringify({
        sessionId: 's-1',
        startedAt,
        endedAt: `${DAY}T10:20:00.000Z`,
        bytesUp: 1200,
        bytesDown: 34000,
        mcc: '208',
        mnc: '01',
        rat: 'LTE-M',
      }),
      { qos: 1 },
    );
    await client.endAsync();

    const usage = await eventually(async () => {
      const res = await new ApiClient(platform.url, account.readKey).get(
        `/v1/sims/${iccid}/usage?from=${DAY}T00:00:00Z&to=${NEXT_DAY}T00:00:00Z&interval=hour`,
      );
      return res.body.totals?.sessions === 1 ? res : undefined;
    });
    expect(usage.status).toBe(200);
    expect(usage.body.buckets).toEqual([{ start: `${DAY}T10:00:00.000Z`, bytesUp: 1200, bytesDown: 34000, bytesTotal: 35200, sessions: 1 }]);
    expect(usage.body.totals).toEqual({ bytesUp: 1200, bytesDown: 34000, bytesTotal: 35200, sessions: 1 });

    // The worker also moved the SIM's network facts, from the packaged MCC-MNC dataset (in the same batch,
    // committed just after the telemetry store write that the usage query reads).
    const sim = await eventually(async () => {
      const res = await account.api.get(`/v1/sims/${iccid}`);
      return res.body.lastSeenAt ? res : undefined;
    });
    expect(sim.body).toMatchObject({ status: 'active', mcc: '208', mnc: '01', country: 'FR', network: 'Orange', rat: 'LTE-M' });
    expect(sim.body.lastSeenAt).toEqual(expect.any(String));
  });
});
