import mqtt, { type MqttClient } from 'mqtt';
import { Database } from '@simfleet/persistence';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { LAST_MONTH, shiftPeriod } from '../support/test-time.js';

// Known sessions, locations and statuses published through real MQTT clients; every expected figure
// below is computed by hand from them (see the comments), in event time over the 20th of last month
// (always in the past, always inside the retention: issue #16).
const P = LAST_MONTH;
const PREV = shiftPeriod(P, -1);
const FROM = `${P}-20T00:00:00Z`;
const TO = `${P}-21T00:00:00Z`;
const RANGE = `from=${FROM}&to=${TO}`;
const IMEI_1 = '356938035643809';
const IMEI_2 = '356938035643817';

const session = (
  sessionId: string,
  startedAt: string,
  endedAt: string | null,
  bytesUp: number,
  bytesDown: number,
  mcc: string,
  mnc: string,
  rat: string,
) => ({
  sessionId,
  startedAt,
  endedAt,
  bytesUp,
  bytesDown,
  mcc,
  mnc,
  rat,
});

describe.each(SHAPES)('telemetry queries (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let account: ProvisionedAccount;
  let other: ProvisionedAccount;
  let read: ApiClient;
  let s1: string;
  let s2: string;
  let s3: string;
  let foreign: string;
  const clients: MqttClient[] = [];
  const devices = new Map<string, MqttClient>();

  const connect = async (iccid: string, secret: string) => {
    const client = await mqtt.connectAsync(platform.mqttUrl, { username: iccid, password: secret, clientId: `dev-${iccid}`, reconnectPeriod: 0 });
    clients.push(client);
    devices.set(iccid, client);
    return client;
  };
  const publish = (client: MqttClient, iccid: string, channel: string, payload: unknown) =>
    client.publishAsync(`things/${iccid}/${channel}`, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env);
    admin = new ApiClient(platform.url, ADMIN_KEY);
    account = await createAccount(admin, 'Acme Meters');
    other = await createAccount(admin, 'Other Fleet');
    read = new ApiClient(platform.url, account.readKey);
    [s1, s2, s3] = await orderSims(admin, account, 3);
    [foreign] = await orderSims(admin, other, 1);
    const secrets = {
      s1: await activate(account, s1),
      s2: await activate(account, s2),
      s3: await activate(account, s3),
      foreign: await activate(other, foreign),
    };

    // Fixture data the SIM organisation API owns (group, name, declarations): seeded in the system of record.
    const db = platform.platform.app.get(Database);
    await db.query(`insert into sim_groups (id, account_id, name) values ('grp_meters', $1, 'Meters')`, [account.accountId]);
    await db.query(`update sims set group_id = 'grp_meters' where iccid = any($1::text[])`, [[s1, s2]]);
    await db.query(
      `update sims set name = 'meter, "north"', authorized_imeis = $2, end_user_device = true, end_user_device_declared_by = 'ops@acme.example', end_user_device_declared_at = '${P}-01T00:00:00Z' where iccid = $1`,
      [s1, [IMEI_1]],
    );
    await db.query(`update sims set authorized_imeis = $2 where iccid = $1`, [s2, ['111111111111111']]);

    const d1 = await connect(s1, secrets.s1);
    // a1: an interim update, then the final counters of the same session (counted once: 300 / 3000).
    await publish(d1, s1, 'sessions', session('a1', `${P}-20T08:00:00Z`, null, 100, 1000, '208', '01', 'LTE-M'));
    await eventually(
      async () => ((await read.get(`/v1/sims/${s1}/usage?${RANGE}&interval=day`)).body.totals?.sessions === 1 ? true : undefined),
      20_000,
    );
    await publish(d1, s1, 'sessions', [
      session('a1', `${P}-20T08:00:00Z`, `${P}-20T08:30:00Z`, 300, 3000, '208', '01', 'LTE-M'),
      session('a2', `${P}-20T12:00:00Z`, `${P}-20T12:05:00Z`, 50, 500, '262', '01', 'NB-IoT'),
    ]);
    // Published newest first: the history is ordered by event time, and the last known one is the newest.
    await publish(d1, s1, 'location', [
      { lat: 48.8566, lon: 2.3522, accuracyM: 10, source: 'gps', at: `${P}-20T08:20:00Z` },
      { lat: 48.85, lon: 2.35, accuracyM: 500, source: 'cell', at: `${P}-20T08:10:00Z` },
      { lat: 48.84, lon: 2.34, accuracyM: 15, source: 'gps', at: `${P}-20T08:00:00Z` },
      { lat: 45.0, lon: 4.0, accuracyM: 20, source: 'gps', at: `${P}-19T23:00:00Z` },
    ]);
    await publish(d1, s1, 'status', { imei: IMEI_1, signalDbm: -85, firmware: '1.2.3', at: `${P}-20T08:21:00Z` });
    await publish(d1, s1, 'sessions', 'not json');
    await publish(d1, s1, 'sessions', { sessionId: 'x' });

    const d2 = await connect(s2, secrets.s2);
    await publish(d2, s2, 'sessions', [
      session('b1', `${P}-20T09:00:00Z`, `${P}-20T09:45:00Z`, 1000, 7000, '208', '01', 'LTE-M'),
      // Before `from`: outside the range.
      session('b2', `${P}-19T23:59:59Z`, `${P}-20T00:10:00Z`, 9999, 9999, '208', '01', 'LTE-M'),
    ]);
    await publish(d2, s2, 'status', { imei: IMEI_2, signalDbm: -101, at: `${P}-20T09:01:00Z` });

    const d3 = await connect(s3, secrets.s3);
    const openStartedAt = new Date(Date.now() - 60_000).toISOString();
    await publish(d3, s3, 'sessions', [
      session('c1', `${P}-20T10:00:00Z`, `${P}-20T10:10:00Z`, 200, 800, '208', '10', '4G'),
      // Exactly `to`: excluded, the range is half-open.
      session('c2', TO, null, 4444, 4444, '208', '10', '4G'),
      // Open now: the SIM is online.
      session('c3', openStartedAt, null, 1, 2, '208', '10', '4G'),
    ]);

    const df = await connect(foreign, secrets.foreign);
    await publish(df, foreign, 'sessions', session('f1', `${P}-20T11:00:00Z`, null, 123456, 654321, '208', '01', 'LTE-M'));

    // Everything is stored once the ledger has all 7 sessions and the store all 5 in range (+ the foreign one).
    await eventually(
      async () => {
        const report = await read.get(`/v1/reports/usage?groupBy=sim&${RANGE}`);
        const sessions = report.body.rows?.reduce((n: number, r: { sessions: number }) => n + r.sessions, 0);
        const total = report.body.rows?.reduce((n: number, r: { bytesTotal: number }) => n + r.bytesTotal, 0);
        const locations = await read.get(`/v1/sims/${s1}/locations?${RANGE}`);
        const diag = await read.get(`/v1/sims/${s3}/diagnostics`);
        const errors = await read.get(`/v1/sims/${s1}/diagnostics`);
        const foreignUsage = await new ApiClient(platform.url, other.readKey).get(`/v1/sims/${foreign}/usage?${RANGE}`);
        const seen = {
          sessions,
          total,
          locations: locations.body.data?.length,
          open: diag.body.openSession?.sessionId,
          errors: errors.body.recentErrors?.length,
          imei: errors.body.imei,
          foreign: foreignUsage.body.totals?.sessions,
        };
        // Thrown, so that a timeout says what was still missing.
        if (JSON.stringify(seen) !== JSON.stringify({ sessions: 4, total: 12850, locations: 3, open: 'c3', errors: 2, imei: IMEI_1, foreign: 1 }))
          throw new Error(`not yet stored: ${JSON.stringify(seen)}`);
        return true;
      },
      90_000,
      100,
    );
  }, 300_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
    await platform?.stop();
    await resources?.release();
  });

  it('buckets a SIM’s usage in event time, counting the interim update once', async () => {
    const res = await read.get(`/v1/sims/${s1}/usage?${RANGE}&interval=hour`);
    expect(res.status).toBe(200);
    // a1 at 08:00 (final 300/3000), a2 at 12:00 (50/500).
    expect(res.body.buckets).toEqual([
      { start: `${P}-20T08:00:00.000Z`, bytesUp: 300, bytesDown: 3000, bytesTotal: 3300, sessions: 1 },
      { start: `${P}-20T12:00:00.000Z`, bytesUp: 50, bytesDown: 500, bytesTotal: 550, sessions: 1 },
    ]);
    expect(res.body.totals).toEqual({ bytesUp: 350, bytesDown: 3500, bytesTotal: 3850, sessions: 2 });
  });

  it('reports usage by SIM, network, country, RAT and group', async () => {
    const report = async (groupBy: string) => {
      const res = await read.get(`/v1/reports/usage?groupBy=${groupBy}&${RANGE}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.body).toMatchObject({ groupBy, from: `${P}-20T00:00:00.000Z`, to: `${P}-21T00:00:00.000Z` });
      return res.body.rows;
    };
    // s2: b1 1000/7000; s1: a1 300/3000 + a2 50/500; s3: c1 200/800 (c2 at `to` and c3 out of range).
    expect(await report('sim')).toEqual([
      { key: s2, label: s2, bytesUp: 1000, bytesDown: 7000, bytesTotal: 8000, sessions: 1, sims: 1 },
      { key: s1, label: 'meter, "north"', bytesUp: 350, bytesDown: 3500, bytesTotal: 3850, sessions: 2, sims: 1 },
      { key: s3, label: s3, bytesUp: 200, bytesDown: 800, bytesTotal: 1000, sessions: 1, sims: 1 },
    ]);
    // 208-01: a1 + b1 = 1300/10000; 208-10: c1; 262-01: a2.
    expect(await report('network')).toEqual([
      { key: '208-01', label: 'Orange', bytesUp: 1300, bytesDown: 10000, bytesTotal: 11300, sessions: 2, sims: 2 },
      { key: '208-10', label: 'SFR', bytesUp: 200, bytesDown: 800, bytesTotal: 1000, sessions: 1, sims: 1 },
      { key: '262-01', label: 'Telekom', bytesUp: 50, bytesDown: 500, bytesTotal: 550, sessions: 1, sims: 1 },
    ]);
    // FR: a1 + b1 + c1 over three SIMs; DE: a2.
    expect(await report('country')).toEqual([
      { key: 'FR', label: 'France', bytesUp: 1500, bytesDown: 10800, bytesTotal: 12300, sessions: 3, sims: 3 },
      { key: 'DE', label: 'Germany', bytesUp: 50, bytesDown: 500, bytesTotal: 550, sessions: 1, sims: 1 },
    ]);
    expect(await report('rat')).toEqual([
      { key: 'LTE-M', label: 'LTE-M', bytesUp: 1300, bytesDown: 10000, bytesTotal: 11300, sessions: 2, sims: 2 },
      { key: '4G', label: '4G', bytesUp: 200, bytesDown: 800, bytesTotal: 1000, sessions: 1, sims: 1 },
      { key: 'NB-IoT', label: 'NB-IoT', bytesUp: 50, bytesDown: 500, bytesTotal: 550, sessions: 1, sims: 1 },
    ]);
    // Meters = s1 + s2: 350 + 1000 up, 3500 + 7000 down; s3 is in no group.
    expect(await report('group')).toEqual([
      { key: 'grp_meters', label: 'Meters', bytesUp: 1350, bytesDown: 10500, bytesTotal: 11850, sessions: 3, sims: 2 },
      { key: null, label: 'No group', bytesUp: 200, bytesDown: 800, bytesTotal: 1000, sessions: 1, sims: 1 },
    ]);
  });

  it('answers the report as CSV with a header row and RFC 4180 quoting', async () => {
    const res = await read.get(`/v1/reports/usage?groupBy=sim&${RANGE}`, { accept: 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.body).toBe(
      [
        'key,label,bytesUp,bytesDown,bytesTotal,sessions,sims',
        `${s2},${s2},1000,7000,8000,1,1`,
        `${s1},"meter, ""north""",350,3500,3850,2,1`,
        `${s3},${s3},200,800,1000,1,1`,
        '',
      ].join('\r\n'),
    );
    const groups = await read.get(`/v1/reports/usage?groupBy=group&${RANGE}`, { accept: 'text/csv, application/json;q=0.5' });
    expect(groups.body).toBe(
      ['key,label,bytesUp,bytesDown,bytesTotal,sessions,sims', 'grp_meters,Meters,1350,10500,11850,3,2', ',No group,200,800,1000,1,1', ''].join(
        '\r\n',
      ),
    );
    // JSON preferred over CSV: JSON.
    const json = await read.get(`/v1/reports/usage?groupBy=rat&${RANGE}`, { accept: 'application/json, text/csv;q=0.1' });
    expect(json.headers.get('content-type')).toContain('application/json');
  });

  it('moves a SIM’s usage with it when it changes group, over whole days (rollups) and any other range (sessions)', async () => {
    const groups = async (range: string) => (await read.get(`/v1/reports/usage?groupBy=group&${range}`)).body.rows;
    const unaligned = `from=${FROM}&to=${P}-20T23:59:59.999Z`;
    expect((await account.api.patch(`/v1/sims/${s2}`, { groupId: null })).status).toBe(200);
    // Meters = s1 only; no group = s2 (b1) + s3 (c1). Biggest first.
    const moved = [
      { key: null, label: 'No group', bytesUp: 1200, bytesDown: 7800, bytesTotal: 9000, sessions: 2, sims: 2 },
      { key: 'grp_meters', label: 'Meters', bytesUp: 350, bytesDown: 3500, bytesTotal: 3850, sessions: 2, sims: 1 },
    ];
    expect(await groups(RANGE)).toEqual(moved);
    expect(await groups(unaligned)).toEqual(moved);
    expect((await account.api.patch(`/v1/sims/${s2}`, { groupId: 'grp_meters' })).status).toBe(200);
    const back = [
      { key: 'grp_meters', label: 'Meters', bytesUp: 1350, bytesDown: 10500, bytesTotal: 11850, sessions: 3, sims: 2 },
      { key: null, label: 'No group', bytesUp: 200, bytesDown: 800, bytesTotal: 1000, sessions: 1, sims: 1 },
    ];
    expect(await groups(RANGE)).toEqual(back);
    expect(await groups(unaligned)).toEqual(back);
  });

  it('gives per-network statistics with the RAT split, and a GeoJSON map per country', async () => {
    const res = await read.get(`/v1/network-stats?${RANGE}`);
    expect(res.status).toBe(200);
    expect(res.body.networks).toEqual([
      {
        key: '208-01',
        mcc: '208',
        mnc: '01',
        name: 'Orange',
        country: 'FR',
        sessions: 2,
        bytesUp: 1300,
        bytesDown: 10000,
        bytesTotal: 11300,
        sims: 2,
        rats: [{ rat: 'LTE-M', sessions: 2, bytesTotal: 11300, sims: 2 }],
      },
      {
        key: '208-10',
        mcc: '208',
        mnc: '10',
        name: 'SFR',
        country: 'FR',
        sessions: 1,
        bytesUp: 200,
        bytesDown: 800,
        bytesTotal: 1000,
        sims: 1,
        rats: [{ rat: '4G', sessions: 1, bytesTotal: 1000, sims: 1 }],
      },
      {
        key: '262-01',
        mcc: '262',
        mnc: '01',
        name: 'Telekom',
        country: 'DE',
        sessions: 1,
        bytesUp: 50,
        bytesDown: 500,
        bytesTotal: 550,
        sims: 1,
        rats: [{ rat: 'NB-IoT', sessions: 1, bytesTotal: 550, sims: 1 }],
      },
    ]);

    const geo = await read.get(`/v1/network-stats?${RANGE}&format=geojson`);
    expect(geo.status).toBe(200);
    expect(geo.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    expect(geo.body).toEqual({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          id: 'FR',
          geometry: { type: 'Point', coordinates: [2.213749, 46.227638] },
          properties: {
            country: 'FR',
            name: 'France',
            sessions: 3,
            bytesUp: 1500,
            bytesDown: 10800,
            bytesTotal: 12300,
            sims: 3,
            networks: [
              { key: '208-01', mcc: '208', mnc: '01', name: 'Orange', sessions: 2, bytesTotal: 11300, sims: 2 },
              { key: '208-10', mcc: '208', mnc: '10', name: 'SFR', sessions: 1, bytesTotal: 1000, sims: 1 },
            ],
          },
        },
        {
          type: 'Feature',
          id: 'DE',
          geometry: { type: 'Point', coordinates: [10.451526, 51.165691] },
          properties: {
            country: 'DE',
            name: 'Germany',
            sessions: 1,
            bytesUp: 50,
            bytesDown: 500,
            bytesTotal: 550,
            sims: 1,
            networks: [{ key: '262-01', mcc: '262', mnc: '01', name: 'Telekom', sessions: 1, bytesTotal: 550, sims: 1 }],
          },
        },
      ],
    });
  });

  it('pages a SIM’s locations in event time and gives the last known one, with the end-user-device declaration', async () => {
    const declaration = { declared: true, declaredBy: 'ops@acme.example', declaredAt: `${P}-01T00:00:00.000Z` };
    const first = await read.get(`/v1/sims/${s1}/locations?${RANGE}&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ iccid: s1, endUserDevice: declaration });
    expect(first.body.data).toEqual([
      { at: `${P}-20T08:00:00.000Z`, lat: 48.84, lon: 2.34, accuracyM: 15, source: 'gps' },
      { at: `${P}-20T08:10:00.000Z`, lat: 48.85, lon: 2.35, accuracyM: 500, source: 'cell' },
    ]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await read.get(`/v1/sims/${s1}/locations?${RANGE}&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.data).toEqual([{ at: `${P}-20T08:20:00.000Z`, lat: 48.8566, lon: 2.3522, accuracyM: 10, source: 'gps' }]);
    expect(second.body.nextCursor).toBeNull();

    const latest = await read.get(`/v1/sims/${s1}/locations/latest`);
    expect(latest.status).toBe(200);
    expect(latest.body).toEqual({
      iccid: s1,
      endUserDevice: declaration,
      location: { at: `${P}-20T08:20:00.000Z`, lat: 48.8566, lon: 2.3522, accuracyM: 10, source: 'gps' },
    });
    const none = await read.get(`/v1/sims/${s2}/locations/latest`);
    expect(none.body).toEqual({ iccid: s2, endUserDevice: { declared: false, declaredBy: null, declaredAt: null }, location: null });
  });

  it('diagnoses a SIM: connection, sessions, radio, IMEI check, ingestion errors, location', async () => {
    const d1 = (await read.get(`/v1/sims/${s1}/diagnostics`)).body;
    expect(d1).toMatchObject({
      iccid: s1,
      name: 'meter, "north"',
      status: 'active',
      // Its device is still connected: the broker's connection log says online.
      connection: { state: 'online', since: expect.any(String), source: 'broker' },
      openSession: null,
      lastSession: {
        sessionId: 'a2',
        startedAt: `${P}-20T12:00:00.000Z`,
        endedAt: `${P}-20T12:05:00.000Z`,
        bytesUp: 50,
        bytesDown: 500,
        bytesTotal: 550,
        mcc: '262',
        mnc: '01',
        network: 'Telekom',
        country: 'DE',
        rat: 'NB-IoT',
      },
      network: { mcc: '262', mnc: '01', name: 'Telekom', country: 'DE' },
      rat: 'NB-IoT',
      signalDbm: -85,
      firmware: '1.2.3',
      imei: IMEI_1,
      imeiCheck: 'match',
      lastLocation: { at: `${P}-20T08:20:00.000Z`, lat: 48.8566, lon: 2.3522, accuracyM: 10, source: 'gps' },
      endUserDevice: { declared: true },
    });
    // Newest first: the invalid record, then the payload that was not JSON.
    expect(d1.recentErrors).toEqual([
      { at: expect.any(String), topic: `things/${s1}/sessions`, code: 'invalid_record', message: expect.stringContaining('startedAt'), index: null },
      { at: expect.any(String), topic: `things/${s1}/sessions`, code: 'malformed_json', message: expect.stringContaining('not JSON'), index: null },
    ]);

    const d2 = (await read.get(`/v1/sims/${s2}/diagnostics`)).body;
    expect(d2).toMatchObject({ imei: IMEI_2, imeiCheck: 'mismatch', signalDbm: -101, recentErrors: [], lastLocation: null });

    const d3 = (await read.get(`/v1/sims/${s3}/diagnostics`)).body;
    expect(d3).toMatchObject({
      connection: { state: 'online', since: expect.any(String), source: 'broker' },
      openSession: { sessionId: 'c3', endedAt: null, bytesTotal: 3 },
      imei: null,
      imeiCheck: 'unrestricted',
    });

    // The device disconnects: offline since then.
    const onlineSince = d1.connection.since;
    await devices.get(s1)!.endAsync();
    const offline = await eventually(async () => {
      const body = (await read.get(`/v1/sims/${s1}/diagnostics`)).body;
      return body.connection.state === 'offline' ? body.connection : undefined;
    }, 20_000);
    expect(offline).toEqual({ state: 'offline', since: expect.any(String), source: 'broker' });
    expect(Date.parse(offline.since)).toBeGreaterThanOrEqual(Date.parse(onlineSince));

    // A suspended SIM cannot connect: blocked.
    expect((await account.api.post(`/v1/sims/${s2}/suspend`)).status).toBe(200);
    const suspended = (await read.get(`/v1/sims/${s2}/diagnostics`)).body;
    expect(suspended).toMatchObject({ status: 'suspended', connection: { state: 'blocked', since: expect.any(String) } });
  });

  it('answers 404 for another tenant’s SIM', async () => {
    for (const path of [
      `/v1/sims/${foreign}/locations?${RANGE}`,
      `/v1/sims/${foreign}/locations/latest`,
      `/v1/sims/${foreign}/diagnostics`,
      `/v1/sims/${foreign}/usage?${RANGE}`,
    ]) {
      const res = await read.get(path);
      expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({
        path,
        status: 404,
        type: expect.stringContaining('application/problem+json'),
      });
    }
    // And the other tenant's sessions are in none of this account's reports.
    const report = await read.get(`/v1/reports/usage?groupBy=sim&${RANGE}`);
    expect(report.body.rows.map((r: { key: string }) => r.key)).not.toContain(foreign);
  });

  it('rates a session in the zone it started in, at its highest counters, whatever order its records arrive in', async () => {
    // Default plan: zone-1 (FR) 0.010 per MB, zone-2 (JP) 0.050 per MB; 1 MB = 1,048,576 B. October: outside every range above.
    const db = platform.platform.app.get(Database);
    const row = (expected: { bytesDown: number; ended: boolean }) =>
      eventually(async () => {
        const [r] = await db.query<{
          mcc: string;
          network: string;
          zone: string;
          amount: string;
          bytes_up: number;
          bytes_down: number;
          ended_at: Date | null;
        }>(`select mcc, network, zone, amount, bytes_up, bytes_down, ended_at from usage_ledger where iccid = $1 and session_id = 'roam-1'`, [s3]);
        return r && r.bytes_down === expected.bytesDown && (r.ended_at !== null) === expected.ended ? r : undefined;
      }, 20_000);
    const d3 = devices.get(s3)!;
    await publish(d3, s3, 'sessions', session('roam-1', `${PREV}-01T08:00:00Z`, null, 524_288, 524_288, '208', '01', 'LTE-M'));
    expect(await row({ bytesDown: 524_288, ended: false })).toMatchObject({ mcc: '208', network: 'Orange', zone: 'zone-1' });
    // An interim update from a Japanese network: the session stays French (its first network), rated on 2 MB.
    await publish(d3, s3, 'sessions', session('roam-1', `${PREV}-01T08:00:00Z`, null, 1_048_576, 1_048_576, '440', '10', 'LTE-M'));
    const roamed = await row({ bytesDown: 1_048_576, ended: false });
    expect(roamed).toMatchObject({ mcc: '208', network: 'Orange', zone: 'zone-1', bytes_up: 1_048_576 });
    expect(Number(roamed.amount)).toBe(0.02);
    // A late, stale record (lower counters) that ends the session: the end is kept, the counters and amount are not lowered.
    await publish(d3, s3, 'sessions', session('roam-1', `${PREV}-01T08:00:00Z`, `${PREV}-01T09:00:00Z`, 524_288, 524_288, '208', '01', 'LTE-M'));
    const ended = await row({ bytesDown: 1_048_576, ended: true });
    expect(ended).toMatchObject({ zone: 'zone-1', bytes_up: 1_048_576 });
    expect(Number(ended.amount)).toBe(0.02);
    const usage = await read.get(`/v1/sims/${s3}/usage?from=${PREV}-01T00:00:00Z&to=${PREV}-02T00:00:00Z&interval=day`);
    expect(usage.body.totals).toMatchObject({ sessions: 1, bytesUp: 1_048_576, bytesDown: 1_048_576 });
  });

  it('refuses bad ranges, groupings, formats and cursors with 422 listing the fields', async () => {
    const cases: Array<[string, string[]]> = [
      [`/v1/reports/usage?groupBy=planet&${RANGE}`, ['groupBy']],
      [`/v1/reports/usage?groupBy=sim&from=${TO}&to=${FROM}`, ['to']],
      [`/v1/reports/usage?groupBy=sim&from=${FROM}&to=${FROM}`, ['to']],
      [`/v1/reports/usage?from=yesterday&to=${TO}`, ['groupBy', 'from']],
      [`/v1/reports/usage?groupBy=sim&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`, ['to']],
      [`/v1/network-stats?${RANGE}&format=kml`, ['format']],
      [`/v1/network-stats?from=${TO}&to=${FROM}`, ['to']],
      [`/v1/sims/${s1}/locations?${RANGE}&limit=0`, ['limit']],
      [`/v1/sims/${s1}/locations?${RANGE}&cursor=bm9wZQ`, ['cursor']],
      [`/v1/sims/${s1}/locations?to=${TO}`, ['from']],
    ];
    for (const [path, fields] of cases) {
      const res = await read.get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 422 });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(fields.sort());
    }
  });
});
