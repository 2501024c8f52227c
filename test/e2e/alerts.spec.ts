import type { MqttClient } from 'mqtt';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { ApiClient, eventually } from './support/http.js';
import { connackCode, connectClient } from './support/mqtt.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

// Alert rules end to end: a real MQTT client publishes, the worker evaluates the rules, the alert (and the
// block) show in GET /v1/alerts, GET /v1/sims/{iccid} and GET /v1/events. docs/alerts.md.

const WAIT_MS = 30_000;
const POLL_MS = 150;
const IMEI_A = '356938035643809';
const IMEI_B = '490154203237518';

interface Device {
  iccid: string;
  secret: string;
  client: MqttClient;
}

describe.each(SHAPES)('alerts (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    resources = await provisionShape(shape);
    // A fast scan for the time-driven rules; no rate limit in the way of polling.
    platform = await startTestPlatform(resources.env, undefined, { ALERTS_SCAN_EVERY: '300ms', RATE_LIMIT_PER_MINUTE: '100000' });
    admin = new ApiClient(platform.url, ADMIN_KEY);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await platform?.stop();
    await resources?.release();
  });

  async function fleet(quantity: number): Promise<{ account: ProvisionedAccount; iccids: string[]; secrets: string[] }> {
    const account = await createAccount(admin, `Alerts ${Math.random().toString(36).slice(2, 8)}`);
    const iccids = await orderSims(admin, account, quantity);
    const secrets: string[] = [];
    for (const iccid of iccids) secrets.push(await activate(account, iccid));
    return { account, iccids, secrets };
  }

  async function connect(iccid: string, secret: string): Promise<Device> {
    const client = await connectClient(platform.mqttUrl, iccid, secret, { clientId: `dev-${iccid}-${Date.now()}` });
    clients.push(client);
    return { iccid, secret, client };
  }

  const closed = (client: MqttClient) => new Promise<void>((resolve) => (client.connected ? client.once('close', () => resolve()) : resolve()));

  /**
   * Publishes at QoS 1 and waits for the PUBACK — or for the connection to close: a record that makes a
   * rule block the SIM may see its device cut off before the acknowledgement reaches it.
   */
  const publish = (device: Device, channel: string, record: Record<string, unknown>) =>
    new Promise<void>((resolve, reject) => {
      const onClose = () => resolve();
      device.client.once('close', onClose);
      device.client.publishAsync(`things/${device.iccid}/${channel}`, JSON.stringify(record), { qos: 1 }).then(
        () => {
          device.client.off('close', onClose);
          resolve();
        },
        (error: unknown) => {
          device.client.off('close', onClose);
          reject(error);
        },
      );
    });
  const session = (device: Device, fields: Record<string, unknown>) =>
    publish(device, 'sessions', {
      startedAt: new Date().toISOString(),
      endedAt: null,
      bytesUp: 0,
      bytesDown: 0,
      mcc: '208',
      mnc: '01',
      rat: 'LTE-M',
      ...fields,
    });
  const status = (device: Device, imei: string) => publish(device, 'status', { imei, at: new Date().toISOString() });
  const location = (device: Device, lat: number, lon: number, at: Date, accuracyM = 10) =>
    publish(device, 'location', { lat, lon, accuracyM, source: 'gps', at: at.toISOString() });

  const createRule = async (account: ProvisionedAccount, rule: Record<string, unknown>) => {
    const res = await account.api.post('/v1/alert-rules', rule);
    expect(res.status).toBe(201);
    return res.body as { id: string };
  };

  const alertsOf = async (account: ProvisionedAccount, query: string) => {
    const res = await account.api.get(`/v1/alerts?${query}`);
    expect(res.status).toBe(200);
    return res.body.data as Array<Record<string, any>>;
  };

  /** Waits until the SIM's alerts satisfy `check`, returning them. */
  const waitAlerts = (account: ProvisionedAccount, iccid: string, check: (alerts: Array<Record<string, any>>) => boolean) =>
    eventually(
      async () => {
        const alerts = await alertsOf(account, `iccid=${iccid}`);
        return check(alerts) ? alerts : undefined;
      },
      WAIT_MS,
      POLL_MS,
    );

  const eventsOf = async (account: ProvisionedAccount, type: string, subject?: string) => {
    const res = await account.api.get(`/v1/events?type=${type}${subject ? `&subject=${subject}` : ''}&limit=1000`);
    expect(res.status).toBe(200);
    return res.body.data as Array<{ type: string; subject: string; data: Record<string, any> }>;
  };

  const waitEvents = (account: ProvisionedAccount, type: string, subject: string, count = 1) =>
    eventually(
      async () => {
        const events = await eventsOf(account, type, subject);
        return events.length >= count ? events : undefined;
      },
      WAIT_MS,
      POLL_MS,
    );

  const simOf = async (account: ProvisionedAccount, iccid: string) =>
    (await account.api.get(`/v1/sims/${iccid}`)).body as { blocks: string[]; status: string };

  it('data_usage_limit: warns, then blocks in-session and cuts the device off; raising the limit lifts the block', async () => {
    const { account, iccids, secrets } = await fleet(1);
    const [iccid] = iccids;
    const rule = await createRule(account, {
      type: 'data_usage_limit',
      name: '1 MB a month',
      scope: { iccid },
      severity: 'critical',
      action: 'block',
      params: { limitBytes: 1_000_000, period: 'month', warnAtPercent: 50 },
    });
    const device = await connect(iccid, secrets[0]);
    const cut = closed(device.client);

    await session(device, { sessionId: 's-1', bytesUp: 100_000, bytesDown: 500_000 });
    const [warning] = await waitAlerts(account, iccid, (a) => a.length === 1);
    expect(warning).toMatchObject({
      ruleId: rule.id,
      type: 'data_usage_limit',
      status: 'active',
      severity: 'warning',
      level: 1,
      count: 1,
      block: null,
    });
    expect(warning.details).toMatchObject({
      stage: 'warning',
      usageBytes: 600_000,
      limitBytes: 1_000_000,
      limitSource: 'rule',
      period: 'month',
      percent: 60,
    });
    expect((await simOf(account, iccid)).blocks).toEqual([]);

    // The same open session crosses the limit: no new session needed, the interim update is enough.
    await session(device, { sessionId: 's-1', bytesUp: 200_000, bytesDown: 900_000 });
    const [exceeded] = await waitAlerts(account, iccid, (a) => a[0]?.level === 2);
    expect(exceeded).toMatchObject({ id: warning.id, severity: 'critical', count: 2, block: 'data_limit_exceeded', status: 'active' });
    expect(exceeded.details).toMatchObject({ stage: 'limit_exceeded', usageBytes: 1_100_000 });
    await cut; // the broker dropped the connection
    expect(await simOf(account, iccid)).toMatchObject({ status: 'active', blocks: ['data_limit_exceeded'] });
    expect(await connackCode(platform.mqttUrl, iccid, secrets[0])).toBe(5);

    const raised = await waitEvents(account, 'alert.raised', warning.id, 2);
    expect(raised.map((e) => e.data.level)).toEqual([1, 2]); // raised, then escalated
    const [blocked] = await waitEvents(account, 'sim.blocked', iccid);
    expect(blocked.data).toMatchObject({
      iccid,
      block: 'data_limit_exceeded',
      blocks: ['data_limit_exceeded'],
      actor: 'system',
      alertId: warning.id,
      ruleId: rule.id,
    });

    // Raising the limit resolves the alert, which lifts its block.
    const raisedLimit = await account.api.patch(`/v1/alert-rules/${rule.id}`, {
      params: { limitBytes: 5_000_000, period: 'month', warnAtPercent: 50 },
    });
    expect(raisedLimit.status).toBe(200);
    const [resolved] = await waitAlerts(account, iccid, (a) => a[0]?.status === 'resolved');
    expect(resolved).toMatchObject({ id: warning.id, resolution: 'below_limit', resolvedBy: 'system' });
    expect((await simOf(account, iccid)).blocks).toEqual([]);
    expect((await waitEvents(account, 'sim.unblocked', iccid))[0].data).toMatchObject({ block: 'data_limit_exceeded', blocks: [] });
    expect((await waitEvents(account, 'alert.resolved', warning.id))[0].data).toMatchObject({ id: warning.id, status: 'resolved' });
    expect(await connackCode(platform.mqttUrl, iccid, secrets[0])).toBe(0);

    const history = (await account.api.get(`/v1/sims/${iccid}/history`)).body.data as Array<{
      action: string;
      actor: string;
      from: string;
      to: string;
    }>;
    expect(history.filter((h) => h.action === 'block' || h.action === 'unblock')).toEqual([
      expect.objectContaining({ action: 'block', actor: 'system', from: 'active', to: 'active' }),
      expect.objectContaining({ action: 'unblock', actor: 'system', from: 'active', to: 'active' }),
    ]);
  });

  it('imei_change with block: an unauthorized IMEI blocks the SIM until the authorized list includes it', async () => {
    const { account, iccids, secrets } = await fleet(1);
    const [iccid] = iccids;
    expect((await account.api.patch(`/v1/sims/${iccid}`, { authorizedImeis: [IMEI_A] })).status).toBe(200);
    const rule = await createRule(account, { type: 'imei_change', scope: { iccid }, severity: 'critical', action: 'block' });
    const device = await connect(iccid, secrets[0]);
    const cut = closed(device.client);

    await status(device, IMEI_A);
    await eventually(async () => ((await account.api.get(`/v1/sims/${iccid}`)).body.imei === IMEI_A ? true : undefined), WAIT_MS, POLL_MS);
    expect(await alertsOf(account, `iccid=${iccid}`)).toEqual([]);

    await session(device, { sessionId: 's-theft', bytesUp: 10, bytesDown: 10, imei: IMEI_B });
    const [alert] = await waitAlerts(account, iccid, (a) => a.length === 1);
    expect(alert).toMatchObject({ ruleId: rule.id, type: 'imei_change', severity: 'critical', block: 'unauthorized_imei', status: 'active' });
    expect(alert.details).toMatchObject({ imei: IMEI_B, previousImei: IMEI_A, authorizedImeis: [IMEI_A] });
    await cut;
    expect((await simOf(account, iccid)).blocks).toEqual(['unauthorized_imei']);
    expect(await connackCode(platform.mqttUrl, iccid, secrets[0])).toBe(5);
    expect((await waitEvents(account, 'sim.blocked', iccid))[0].data).toMatchObject({ block: 'unauthorized_imei' });

    // The operator authorizes the new device: the scheduled scan resolves the alert and lifts the block.
    expect((await account.api.patch(`/v1/sims/${iccid}`, { authorizedImeis: [IMEI_A, IMEI_B] })).status).toBe(200);
    const [resolved] = await waitAlerts(account, iccid, (a) => a[0]?.status === 'resolved');
    expect(resolved).toMatchObject({ id: alert.id, resolution: 'authorized_imei' });
    expect((await simOf(account, iccid)).blocks).toEqual([]);
    expect(await connackCode(platform.mqttUrl, iccid, secrets[0])).toBe(0);
  });

  it('imei_change without an authorized list: a change from the last seen IMEI, one alert per rule and SIM however often it fires', async () => {
    const { account, iccids, secrets } = await fleet(2);
    const rule = await createRule(account, { type: 'imei_change', severity: 'warning' });
    const device = await connect(iccids[0], secrets[0]);
    await status(device, IMEI_A);
    await eventually(async () => ((await account.api.get(`/v1/sims/${iccids[0]}`)).body.imei === IMEI_A ? true : undefined), WAIT_MS, POLL_MS);
    await status(device, IMEI_B);
    await waitAlerts(account, iccids[0], (a) => a.length === 1);
    await status(device, IMEI_A);
    const [alert] = await waitAlerts(account, iccids[0], (a) => a[0]?.count === 2);
    expect(alert).toMatchObject({ ruleId: rule.id, status: 'active', block: null });
    expect(alert.details).toMatchObject({ imei: IMEI_A, previousImei: IMEI_B });
    expect(await eventsOf(account, 'alert.raised', alert.id)).toHaveLength(1); // a repeat updates, it does not re-announce
    expect((await simOf(account, iccids[0])).blocks).toEqual([]); // notify only

    // The other SIM's first IMEI is not a change.
    const other = await connect(iccids[1], secrets[1]);
    await status(other, IMEI_B);
    await eventually(async () => ((await account.api.get(`/v1/sims/${iccids[1]}`)).body.imei === IMEI_B ? true : undefined), WAIT_MS, POLL_MS);
    expect(await alertsOf(account, `iccid=${iccids[1]}`)).toEqual([]);
  });

  it('data_usage_limit from the group policy: the group’s monthly limit applies; raising it lifts the block', async () => {
    const { account, iccids, secrets } = await fleet(1);
    const [iccid] = iccids;
    const group = await account.api.post('/v1/groups', { name: 'trackers', monthlyDataLimitBytes: 1_000_000 });
    expect(group.status).toBe(201);
    expect((await account.api.patch(`/v1/sims/${iccid}`, { groupId: group.body.id })).status).toBe(200);
    await createRule(account, {
      type: 'data_usage_limit',
      scope: { groupId: group.body.id },
      action: 'block',
      severity: 'critical',
      params: { period: 'month' },
    });
    const device = await connect(iccid, secrets[0]);
    const cut = closed(device.client);
    await session(device, { sessionId: 'g-1', bytesUp: 600_000, bytesDown: 600_000 });
    const [alert] = await waitAlerts(account, iccid, (a) => a[0]?.level === 2);
    expect(alert.details).toMatchObject({ limitSource: 'group', limitBytes: 1_000_000, usageBytes: 1_200_000 });
    await cut;
    expect((await simOf(account, iccid)).blocks).toEqual(['data_limit_exceeded']);

    expect((await account.api.patch(`/v1/groups/${group.body.id}`, { monthlyDataLimitBytes: 10_000_000 })).status).toBe(200);
    const [resolved] = await waitAlerts(account, iccid, (a) => a[0]?.status === 'resolved');
    expect(resolved.resolution).toBe('below_limit');
    expect((await simOf(account, iccid)).blocks).toEqual([]);
  });

  it('impossible_travel: consecutive fixes faster than maxKmh', async () => {
    const { account, iccids, secrets } = await fleet(1);
    const rule = await createRule(account, { type: 'impossible_travel', severity: 'critical', params: { maxKmh: 1_000 } });
    const device = await connect(iccids[0], secrets[0]);
    const t0 = new Date(Date.now() - 60 * 60_000);
    // Each fix is stored before the next is sent: a fix older than the SIM's last known one is not compared.
    const stored = (lat: number) =>
      eventually(async () => ((await account.api.get(`/v1/sims/${iccids[0]}`)).body.lastLocation?.lat === lat ? true : undefined), WAIT_MS, POLL_MS);
    await location(device, 48.8566, 2.3522, t0); // Paris
    await stored(48.8566);
    await location(device, 48.9, 2.4, new Date(t0.getTime() + 30 * 60_000)); // 6 km in 30 min: fine
    await stored(48.9);
    expect(await alertsOf(account, `iccid=${iccids[0]}`)).toEqual([]);
    await location(device, 51.5074, -0.1278, new Date(t0.getTime() + 40 * 60_000)); // London 10 min later
    const [alert] = await waitAlerts(account, iccids[0], (a) => a.length === 1);
    expect(alert).toMatchObject({ ruleId: rule.id, type: 'impossible_travel', severity: 'critical', count: 1 });
    expect(alert.details.speedKmh).toBeGreaterThan(1_500);
    expect(alert.details.to).toMatchObject({ lat: 51.5074, lon: -0.1278 });
  });

  it('geofence: leaving a circle raises, coming back resolves', async () => {
    const { account, iccids, secrets } = await fleet(1);
    await createRule(account, { type: 'geofence', params: { on: 'exit', circle: { lat: 45.764, lon: 4.8357, radiusM: 5_000 } } });
    const device = await connect(iccids[0], secrets[0]);
    const t = Date.now() - 10 * 60_000;
    await location(device, 45.77, 4.84, new Date(t)); // inside Lyon
    await eventually(async () => ((await account.api.get(`/v1/sims/${iccids[0]}`)).body.lastLocation ? true : undefined), WAIT_MS, POLL_MS);
    expect(await alertsOf(account, `iccid=${iccids[0]}`)).toEqual([]);
    await location(device, 45.9, 4.84, new Date(t + 60_000)); // 15 km north
    const [alert] = await waitAlerts(account, iccids[0], (a) => a.length === 1);
    expect(alert.details).toMatchObject({ on: 'exit', inside: false, lat: 45.9 });
    await location(device, 45.765, 4.836, new Date(t + 120_000));
    const [resolved] = await waitAlerts(account, iccids[0], (a) => a[0]?.status === 'resolved');
    expect(resolved).toMatchObject({ id: alert.id, resolution: 'back_inside' });
  });

  it('geofence: entering a GeoJSON polygon raises', async () => {
    const { account, iccids, secrets } = await fleet(1);
    const polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [2.2, 48.8],
          [2.5, 48.8],
          [2.5, 48.95],
          [2.2, 48.95],
          [2.2, 48.8],
        ],
      ],
    }; // around Paris
    await createRule(account, { type: 'geofence', scope: { iccid: iccids[0] }, params: { on: 'enter', polygon } });
    const device = await connect(iccids[0], secrets[0]);
    await location(device, 45.764, 4.8357, new Date(Date.now() - 120_000));
    await location(device, 48.8566, 2.3522, new Date(Date.now() - 60_000));
    const [alert] = await waitAlerts(account, iccids[0], (a) => a.length === 1);
    expect(alert.details).toMatchObject({ on: 'enter', inside: true });
  });

  it('usage_spike: a session far above the SIM’s own baseline, only once the history is long enough', async () => {
    const { account, iccids, secrets } = await fleet(1);
    const [iccid] = iccids;
    await createRule(account, { type: 'usage_spike', params: { factor: 5, minHistory: 3, per: 'session' } });
    const device = await connect(iccid, secrets[0]);
    const ended = (id: string, bytes: number) => {
      const at = new Date().toISOString();
      return session(device, { sessionId: id, startedAt: at, endedAt: at, bytesUp: bytes / 2, bytesDown: bytes / 2 });
    };
    // Two sessions of history are not enough, even for a huge one.
    for (const [n, id] of ['h-1', 'h-2'].entries()) {
      await ended(id, 10_000);
      await waitEvents(account, 'session.ended', iccid, n + 1);
    }
    await ended('early-spike', 1_000_000);
    await waitEvents(account, 'session.ended', iccid, 3);
    expect(await alertsOf(account, `iccid=${iccid}`)).toEqual([]);
    // The early spike joined the baseline (now three samples); normal sessions pull it back down.
    for (const [n, id] of ['h-3', 'h-4', 'h-5', 'h-6', 'h-7', 'h-8', 'h-9', 'h-10'].entries()) {
      await ended(id, 10_000);
      await waitEvents(account, 'session.ended', iccid, n + 4);
    }
    await session(device, { sessionId: 'spike', bytesUp: 900_000, bytesDown: 900_000 });
    const [alert] = await waitAlerts(account, iccid, (a) => a.length === 1);
    expect(alert.details).toMatchObject({ per: 'session', sessionId: 'spike', bytes: 1_800_000, baselineSamples: 11, factor: 5 });
    expect(alert.details.baselineBytes).toBeGreaterThan(10_000);
    expect(alert.details.baselineBytes).toBeLessThan(360_000);
  });

  it('new_country: the first session outside the allowed countries', async () => {
    const { account, iccids, secrets } = await fleet(1);
    const [iccid] = iccids;
    await createRule(account, { type: 'new_country', severity: 'info', params: { allowedCountries: ['FR'] } });
    const device = await connect(iccid, secrets[0]);
    await session(device, { sessionId: 'fr-1', mcc: '208', mnc: '01', bytesUp: 10, bytesDown: 10 });
    await waitEvents(account, 'session.started', iccid, 1);
    expect(await alertsOf(account, `iccid=${iccid}`)).toEqual([]);
    await session(device, { sessionId: 'de-1', mcc: '262', mnc: '01', bytesUp: 10, bytesDown: 10 });
    const [alert] = await waitAlerts(account, iccid, (a) => a.length === 1);
    expect(alert).toMatchObject({ severity: 'info', type: 'new_country' });
    expect(alert.details).toMatchObject({ country: 'DE', sessionId: 'de-1', allowedCountries: ['FR'], allowedSource: 'rule' });
  });

  it('new_country from the group’s allowed countries', async () => {
    const { account, iccids, secrets } = await fleet(1);
    const [iccid] = iccids;
    const group = await account.api.post('/v1/groups', { name: 'france-only', allowedCountries: ['FR'] });
    expect(group.status).toBe(201);
    expect((await account.api.patch(`/v1/sims/${iccid}`, { groupId: group.body.id })).status).toBe(200);
    await createRule(account, { type: 'new_country', scope: { groupId: group.body.id } });
    const device = await connect(iccid, secrets[0]);
    await session(device, { sessionId: 'de-1', mcc: '262', mnc: '01', bytesUp: 10, bytesDown: 10 });
    const [alert] = await waitAlerts(account, iccid, (a) => a.length === 1);
    expect(alert.details).toMatchObject({ country: 'DE', allowedSource: 'group' });
  });

  it('connection_storm: connects per hour above the bound (scheduled scan)', async () => {
    const { account, iccids, secrets } = await fleet(1);
    const [iccid] = iccids;
    await createRule(account, { type: 'connection_storm', params: { maxConnectsPerHour: 2 } });
    for (let i = 0; i < 3; i++) {
      const device = await connect(iccid, secrets[0]);
      await device.client.endAsync();
      await waitEvents(account, 'sim.connected', iccid, i + 1);
    }
    const [alert] = await waitAlerts(account, iccid, (a) => a.length === 1);
    expect(alert).toMatchObject({ type: 'connection_storm', status: 'active' });
    expect(alert.details).toMatchObject({ connects: 3, maxConnectsPerHour: 2 });
  });

  it('silent: no record for N hours raises (scheduled scan); the next record resolves', async () => {
    const { account, iccids, secrets } = await fleet(1);
    const [iccid] = iccids;
    await createRule(account, { type: 'silent', scope: { iccid }, params: { hours: 0.0005 } }); // 1.8 s
    const [alert] = await waitAlerts(account, iccid, (a) => a.length === 1);
    expect(alert).toMatchObject({ type: 'silent', status: 'active', count: 1 });
    expect(alert.details).toMatchObject({ hours: 0.0005, lastSeenAt: null });
    const device = await connect(iccid, secrets[0]);
    await status(device, IMEI_A);
    // (Silent again 1.8 s later, the SIM may get a new alert: look for this one.)
    const alerts = await waitAlerts(account, iccid, (a) => a.some((x) => x.id === alert.id && x.status === 'resolved'));
    expect(alerts.find((x) => x.id === alert.id)).toMatchObject({ resolution: 'heard_again', resolvedBy: 'system' });
  });

  it('alert lifecycle over the API: acknowledge, resolve (lifting the block), 409 once resolved, filters, tenant isolation', async () => {
    const { account, iccids, secrets } = await fleet(1);
    const [iccid] = iccids;
    await createRule(account, { type: 'data_usage_limit', action: 'block', params: { limitBytes: 1_000 } });
    const device = await connect(iccid, secrets[0]);
    await session(device, { sessionId: 'x', bytesUp: 5_000, bytesDown: 0 });
    const [alert] = await waitAlerts(account, iccid, (a) => a.length === 1 && a[0].block !== null);
    await eventually(async () => ((await simOf(account, iccid)).blocks.length ? true : undefined), WAIT_MS, POLL_MS);

    const read = new ApiClient(platform.url, account.readKey);
    expect((await read.get(`/v1/alerts/${alert.id}`)).body).toMatchObject({ id: alert.id, status: 'active' });
    expect((await read.post(`/v1/alerts/${alert.id}/acknowledge`)).status).toBe(403);
    expect((await alertsOf(account, 'status=active&severity=warning,critical')).map((a) => a.id)).toEqual([alert.id]);
    expect(await alertsOf(account, 'status=resolved')).toEqual([]);
    expect(await alertsOf(account, 'severity=info')).toEqual([]);

    const bad = await account.api.get('/v1/alerts?status=open&severity=fatal&iccid=abc');
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['iccid', 'severity', 'status']);

    const other = await createAccount(admin, 'Other tenant');
    expect((await other.api.get(`/v1/alerts/${alert.id}`)).status).toBe(404);
    expect((await other.api.post(`/v1/alerts/${alert.id}/resolve`)).status).toBe(404);
    expect((await other.api.get('/v1/alerts')).body.data).toEqual([]);

    const ack = await account.api.post(`/v1/alerts/${alert.id}/acknowledge`);
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ status: 'acknowledged', acknowledgedBy: expect.stringMatching(/^api_key:/) });
    expect((await account.api.post(`/v1/alerts/${alert.id}/acknowledge`)).body).toMatchObject({
      status: 'acknowledged',
      acknowledgedAt: ack.body.acknowledgedAt,
    });
    expect(await eventsOf(account, 'alert.acknowledged', alert.id)).toHaveLength(1);

    const resolved = await account.api.post(`/v1/alerts/${alert.id}/resolve`);
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: 'manual', resolvedBy: expect.stringMatching(/^api_key:/) });
    expect((await simOf(account, iccid)).blocks).toEqual([]);
    for (const action of ['resolve', 'acknowledge']) {
      const again = await account.api.post(`/v1/alerts/${alert.id}/${action}`);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ status: 409, currentStatus: 'resolved' });
    }
    expect((await account.api.get('/v1/alerts/alrt_nope')).status).toBe(404);

    const events = await eventsOf(account, 'alert.*', alert.id);
    expect(events.map((e) => e.type)).toEqual(['alert.raised', 'alert.acknowledged', 'alert.resolved']);
    expect(events[2].data).toMatchObject({ id: alert.id, iccid, status: 'resolved', ruleId: alert.ruleId });
  });

  it('alert rules CRUD: validation lists every field, scopes are checked, other tenants see nothing', async () => {
    const { account, iccids } = await fleet(1);
    const other = await createAccount(admin, 'Other tenant');
    const [otherIccid] = await orderSims(admin, other, 1);

    const invalid = await account.api.post('/v1/alert-rules', {
      type: 'geofence',
      severity: 'loud',
      action: 'block',
      params: { on: 'sideways', circle: { lat: 95, lon: 0, radiusM: -1 } },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.headers.get('content-type')).toContain('application/problem+json');
    expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'action',
      'params/circle/lat',
      'params/circle/radiusM',
      'params/on',
      'severity',
    ]);
    expect((await account.api.post('/v1/alert-rules', { type: 'nope' })).body.errors).toEqual([{ field: 'type', message: expect.any(String) }]);
    // A parameter put beside the type is named, with where it belongs.
    const misplaced = await account.api.post('/v1/alert-rules', { type: 'data_usage_limit', limitBytes: 1_000_000 });
    expect(misplaced.status).toBe(422);
    expect(misplaced.body.errors).toEqual([
      {
        field: 'limitBytes',
        message: 'unknown field: limitBytes is a parameter of the rule (data_usage_limit) and belongs under params, as params.limitBytes',
      },
    ]);
    expect((await account.api.post('/v1/alert-rules', { params: {} })).body.errors).toEqual([{ field: 'type', message: 'required' }]);
    const foreign = await account.api.post('/v1/alert-rules', { type: 'imei_change', scope: { iccid: otherIccid } });
    expect(foreign.status).toBe(422);
    expect(foreign.body.errors).toEqual([{ field: 'scope/iccid', message: expect.stringContaining('no SIM') }]);
    expect((await account.api.post('/v1/alert-rules', { type: 'imei_change', scope: { groupId: 'grp_missing' } })).body.errors[0].field).toBe(
      'scope/groupId',
    );

    const created = await account.api.post('/v1/alert-rules', {
      type: 'silent',
      name: 'quiet trackers',
      scope: { iccid: iccids[0] },
      params: { hours: 24 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^rule_/),
      type: 'silent',
      severity: 'warning',
      action: 'notify',
      enabled: true,
      scope: { iccid: iccids[0] },
      params: { hours: 24 },
    });
    const id = created.body.id;
    expect((await account.api.get(`/v1/alert-rules/${id}`)).body).toEqual(created.body);
    expect((await account.api.get('/v1/alert-rules?type=silent')).body.data.map((r: { id: string }) => r.id)).toEqual([id]);
    expect((await account.api.get('/v1/alert-rules?type=geofence')).body.data).toEqual([]);
    expect((await account.api.get('/v1/alert-rules?type=weird')).status).toBe(422);

    const patched = await account.api.patch(`/v1/alert-rules/${id}`, { severity: 'critical', params: { hours: 2 } });
    expect(patched.body).toMatchObject({ severity: 'critical', params: { hours: 2 }, name: 'quiet trackers' });
    const badPatch = await account.api.patch(`/v1/alert-rules/${id}`, { type: 'geofence', params: { hours: -1 } });
    expect(badPatch.status).toBe(422);
    expect((await account.api.patch(`/v1/alert-rules/${id}`, { params: { hours: -1 } })).body.errors).toEqual([
      { field: 'params/hours', message: expect.any(String) },
    ]);
    expect((await account.api.patch(`/v1/alert-rules/${id}`, { action: 'block' })).body.errors[0].field).toBe('action');

    expect((await other.api.get(`/v1/alert-rules/${id}`)).status).toBe(404);
    expect((await other.api.patch(`/v1/alert-rules/${id}`, { enabled: false })).status).toBe(404);
    expect((await other.api.delete(`/v1/alert-rules/${id}`)).status).toBe(404);
    expect((await other.api.get('/v1/alert-rules')).body.data).toEqual([]);

    expect((await account.api.delete(`/v1/alert-rules/${id}`)).status).toBe(204);
    expect((await account.api.get(`/v1/alert-rules/${id}`)).status).toBe(404);

    const openApi = await new ApiClient(platform.url).get('/openapi.json');
    expect(Object.keys(openApi.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/alert-rules',
        '/v1/alert-rules/{id}',
        '/v1/alerts',
        '/v1/alerts/{id}',
        '/v1/alerts/{id}/acknowledge',
        '/v1/alerts/{id}/resolve',
      ]),
    );
    expect(Object.keys(openApi.body.paths['/v1/alert-rules/{id}']).sort()).toEqual(['delete', 'get', 'patch']);
  });

  it('deleting a blocking rule resolves its alert and lifts the block', async () => {
    const { account, iccids, secrets } = await fleet(1);
    const [iccid] = iccids;
    const rule = await createRule(account, { type: 'imei_change', action: 'block', scope: { iccid } });
    expect((await account.api.patch(`/v1/sims/${iccid}`, { authorizedImeis: [IMEI_A] })).status).toBe(200);
    const device = await connect(iccid, secrets[0]);
    await status(device, IMEI_B);
    await waitAlerts(account, iccid, (a) => a.length === 1);
    await eventually(async () => ((await simOf(account, iccid)).blocks.length ? true : undefined), WAIT_MS, POLL_MS);
    expect((await account.api.delete(`/v1/alert-rules/${rule.id}`)).status).toBe(204);
    const [resolved] = await alertsOf(account, `iccid=${iccid}`);
    expect(resolved).toMatchObject({ status: 'resolved', resolution: 'rule_deleted' });
    expect((await simOf(account, iccid)).blocks).toEqual([]);
  });
});
