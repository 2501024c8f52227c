import mqtt from 'mqtt';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

const DAY = new Date().toISOString().slice(0, 10);

// The API the operator console reads beyond the other resources (docs/console.md).
describe.each(SHAPES)('console API (%s)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, { CONSOLE_MAP_TILES_URL: 'https://tiles.example.com/{z}/{x}/{y}.png' });
    admin = new ApiClient(platform.url, ADMIN_KEY);
  });
  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  it('tells a key who it is, and the console its settings without authentication', async () => {
    const account = await createAccount(admin, 'Principal');
    expect((await new ApiClient(platform.url, account.readKey).get('/v1/principal')).body).toEqual({
      kind: 'account',
      actor: { type: 'api_key', id: expect.any(String), name: 'dashboard' },
      accountId: account.accountId,
      accountName: 'Principal',
      scopes: ['read'],
    });
    expect((await admin.get('/v1/principal')).body).toMatchObject({ kind: 'admin', accountId: null, scopes: ['admin'] });
    expect((await new ApiClient(platform.url).get('/v1/principal')).status).toBe(401);
    expect((await new ApiClient(platform.url).get('/v1/console/settings')).body).toEqual({
      mapTilesUrl: 'https://tiles.example.com/{z}/{x}/{y}.png',
      mapTilesAttribution: null,
    });
  });

  it('lets an account key with the keys scope manage its own account’s keys, never beyond its own scopes or in another account', async () => {
    const account = await createAccount(admin, 'Keys');
    const other = await createAccount(admin, 'Other');
    const manager = await admin.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'keys', scopes: ['write', 'keys'] });
    expect(manager.status).toBe(201);
    const keys = admin.withKey(manager.body.key);
    const created = await keys.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'ci', scopes: ['read'] });
    expect(created.status).toBe(201);
    expect(created.body.key).toEqual(expect.any(String));
    const listed = await keys.get(`/v1/accounts/${account.accountId}/api-keys`);
    expect(listed.body.data.map((k: { name: string }) => k.name).sort()).toEqual(['ci', 'dashboard', 'keys', 'ops']);
    const beyond = await keys.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'broker', scopes: ['mqtt'] });
    expect(beyond.status).toBe(403);
    expect(JSON.stringify(beyond.body)).toContain('mqtt');
    // Without the keys scope, a key neither lists nor creates keys.
    expect((await account.api.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'x', scopes: ['read'] })).status).toBe(403);
    expect((await new ApiClient(platform.url, account.readKey).get(`/v1/accounts/${account.accountId}/api-keys`)).status).toBe(403);
    expect((await keys.get(`/v1/accounts/${other.accountId}/api-keys`)).status).toBe(404);
    expect((await keys.post(`/v1/accounts/${other.accountId}/api-keys`, { name: 'x', scopes: ['read'] })).status).toBe(404);
    expect((await keys.delete(`/v1/accounts/${account.accountId}/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await new ApiClient(platform.url, created.body.key).get('/v1/sims')).status).toBe(401);
    // Admin routes stay the admin's.
    expect((await keys.get('/v1/accounts')).status).toBe(403);
  });

  it('counts the SIMs a filter matches, in the account only', async () => {
    const account = await createAccount(admin, 'Count');
    const other = await createAccount(admin, 'Count other');
    const iccids = await orderSims(admin, account, 4);
    await orderSims(admin, other, 2);
    await activate(account, iccids[0]);
    expect((await account.api.get('/v1/sims/count')).body).toEqual({ count: 4 });
    expect((await account.api.get('/v1/sims/count?status=active')).body).toEqual({ count: 1 });
    expect((await account.api.get(`/v1/sims/count?q=${iccids[2].slice(0, -1)}`)).body).toEqual({ count: 1 });
    const bad = await account.api.get('/v1/sims/count?status=sleeping');
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('status/0');
  });

  it('serves last known positions, paged and clustered, a SIM’s sessions, and the overview figures', async () => {
    const account = await createAccount(admin, 'Map');
    const other = await createAccount(admin, 'Map other');
    const [iccid, quiet] = await orderSims(admin, account, 2);
    const secret = await activate(account, iccid);
    const device = await mqtt.connectAsync(platform.mqttUrl, { username: iccid, password: secret, protocolVersion: 4, reconnectPeriod: 0 });
    try {
      await device.publishAsync(
        `things/${iccid}/location`,
        JSON.stringify({ lat: 48.8566, lon: 2.3522, accuracyM: 12, source: 'gps', at: new Date().toISOString() }),
        { qos: 1 },
      );
      await device.publishAsync(
        `things/${iccid}/sessions`,
        JSON.stringify({
          sessionId: 'ov-1',
          startedAt: `${DAY}T00:00:01Z`,
          endedAt: null,
          bytesUp: 1000,
          bytesDown: 3000,
          mcc: '208',
          mnc: '01',
          rat: 'LTE-M',
        }),
        { qos: 1 },
      );
      const positions = await eventually(async () => {
        const res = await account.api.get('/v1/sims/positions');
        return res.body.data?.length ? res.body : undefined;
      });
      expect(positions).toEqual({
        data: [{ iccid, name: null, status: 'active', lat: 48.8566, lon: 2.3522, accuracyM: 12, at: expect.any(String) }],
        nextCursor: null,
      });
      expect((await other.api.get('/v1/sims/positions')).body.data).toEqual([]);
      expect((await account.api.get('/v1/sims/positions?bbox=-10,40,10,55')).body.data).toHaveLength(1);
      expect((await account.api.get('/v1/sims/positions?bbox=100,-10,120,10')).body.data).toEqual([]);
      const clusters = (await account.api.get('/v1/sims/positions/clusters?zoom=3')).body;
      expect(clusters).toEqual({ total: 1, clusters: [{ lat: 48.8566, lon: 2.3522, count: 1, iccid, name: null, status: 'active' }] });
      for (const [query, field] of [
        ['bbox=10,60,20,50', 'bbox'],
        ['limit=20000', 'limit'],
      ]) {
        const bad = await account.api.get(`/v1/sims/positions?${query}`);
        expect(bad.status).toBe(422);
        expect(bad.body.errors[0].field).toBe(field);
      }
      expect((await account.api.get('/v1/sims/positions/clusters')).status).toBe(422);

      const sessions = await eventually(async () => {
        const res = await account.api.get(`/v1/sims/${iccid}/sessions`);
        return res.body.data?.length ? res.body : undefined;
      });
      expect(sessions.data[0]).toMatchObject({
        sessionId: 'ov-1',
        bytesUp: 1000,
        bytesDown: 3000,
        bytesTotal: 4000,
        mcc: '208',
        mnc: '01',
        country: 'FR',
      });
      expect((await account.api.get(`/v1/sims/${quiet}/sessions`)).body).toEqual({ data: [], nextCursor: null });
      expect((await other.api.get(`/v1/sims/${iccid}/sessions`)).status).toBe(404);

      const overview = await eventually(async () => {
        const res = await account.api.get('/v1/overview');
        return res.body.onlineSims === 1 && res.body.data.thisMonth.bytesTotal === 4000 ? res.body : undefined;
      });
      expect(overview).toMatchObject({ openAlerts: [], spend: null, data: { thisMonth: { sessions: 1, bytesUp: 1000, bytesDown: 3000 } } });
      expect((await other.api.get('/v1/overview')).body).toMatchObject({ onlineSims: 0, data: { thisMonth: { bytesTotal: 0 } } });
    } finally {
      await device.endAsync();
    }
    await eventually(async () => ((await account.api.get('/v1/overview')).body.onlineSims === 0 ? true : undefined));
  });
});
