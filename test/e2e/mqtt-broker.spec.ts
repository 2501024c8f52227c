import { Database, SimConnectionRepository } from '@simfleet/persistence';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { collect, connackCode, connectClient, connectPacket, mosquitto, publishQos1Packet, rawConnect, waitFor } from './support/mqtt.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

const HOUR = 3_600_000;
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
const session = (sessionId: string, bytesUp: number, bytesDown: number, extra: Record<string, unknown> = {}) => ({
  sessionId,
  startedAt: iso(2 * HOUR),
  endedAt: null,
  bytesUp,
  bytesDown,
  mcc: '208',
  mnc: '01',
  rat: 'LTE-M',
  ...extra,
});

describe.each(SHAPES)('MQTT broker: device contract (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let account: ProvisionedAccount;
  let other: ProvisionedAccount;
  const secrets = new Map<string, string>();
  let sims: string[];
  let otherSims: string[];
  let port: number;

  const events = async (type: string, iccid: string) =>
    (await account.api.get(`/v1/events?type=${type}&subject=${iccid}&limit=100`)).body.data as Array<{ data: Record<string, unknown> }>;
  const usageTotals = async (iccid: string) =>
    (await account.api.get(`/v1/sims/${iccid}/usage?from=${iso(48 * HOUR)}&to=${new Date(Date.now() + HOUR).toISOString()}&interval=day`)).body
      .totals;

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, { MQTT_MAX_MESSAGES_PER_SECOND: '20', MQTT_MAX_PAYLOAD_BYTES: '4096' });
    admin = new ApiClient(platform.url, ADMIN_KEY);
    port = platform.platform.mqttPorts.tcp!;
    account = await createAccount(admin, 'Broker Tests');
    other = await createAccount(admin, 'Other Tenant');
    sims = await orderSims(admin, account, 12);
    otherSims = await orderSims(admin, other, 2);
    for (const iccid of sims) secrets.set(iccid, await activate(account, iccid));
    secrets.set(otherSims[0], await activate(other, otherSims[0]));
  }, 300_000);

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  describe('authentication (CONNACK codes, MQTT 3.1.1)', () => {
    it('accepts the right secret, by ICCID and over mosquitto_pub', async () => {
      const [iccid] = sims;
      expect(await connackCode(platform.mqttUrl, iccid, secrets.get(iccid)!)).toBe(0);
      const pub = await mosquitto('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-V',
        'mqttv311',
        '-u',
        iccid,
        '-P',
        secrets.get(iccid)!,
        '-q',
        '1',
        '-t',
        `things/${iccid}/sessions`,
        '-m',
        JSON.stringify(session('mosq-1', 10, 20)),
      ]);
      expect(pub).toMatchObject({ code: 0 });
      await eventually(async () => ((await usageTotals(iccid))?.sessions === 1 ? true : undefined));
    });

    it('refuses a wrong secret and an unknown SIM with 4 (bad user name or password)', async () => {
      expect(await connackCode(platform.mqttUrl, sims[0], 'wrong-secret-wrong-secret')).toBe(4);
      expect(await connackCode(platform.mqttUrl, '8988303999999999999', 'whatever-secret-123456')).toBe(4);
      expect(await connackCode(platform.mqttUrl, sims[0], '')).toBe(4);
      const pub = await mosquitto('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-V',
        'mqttv311',
        '-u',
        sims[0],
        '-P',
        'wrong',
        '-t',
        `things/${sims[0]}/sessions`,
        '-m',
        '{}',
      ]);
      expect(pub.code).not.toBe(0);
      expect(pub.stderr.toLowerCase()).toContain('bad user name or password');
    });

    it('refuses suspended, terminated and blocked SIMs with 5 (not authorized)', async () => {
      const [, suspended, terminated, blocked] = sims;
      expect((await account.api.post(`/v1/sims/${suspended}/suspend`)).status).toBe(200);
      expect(await connackCode(platform.mqttUrl, suspended, secrets.get(suspended)!)).toBe(5);
      const pub = await mosquitto('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-V',
        'mqttv311',
        '-u',
        suspended,
        '-P',
        secrets.get(suspended)!,
        '-t',
        `things/${suspended}/sessions`,
        '-m',
        '{}',
      ]);
      expect(pub.code).not.toBe(0);
      expect(pub.stderr.toLowerCase()).toContain('not authori');
      expect((await account.api.post(`/v1/sims/${terminated}/terminate`)).status).toBe(200);
      expect(await connackCode(platform.mqttUrl, terminated, secrets.get(terminated)!)).toBe(5);
      // A system block (e.g. an unauthorized IMEI) keeps an active SIM off the network.
      await platform.platform.app.get(Database).query(`update sims set blocks = array['unauthorized_imei'] where iccid = $1`, [blocked]);
      expect(await connackCode(platform.mqttUrl, blocked, secrets.get(blocked)!)).toBe(5);
    });

    it('refuses an integration key without the mqtt scope (5) and a key of another account (4)', async () => {
      const keyless = await admin.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'no mqtt', scopes: ['read'] });
      expect(await connackCode(platform.mqttUrl, account.accountId, keyless.body.key)).toBe(5);
      const mqttKey = await admin.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'backend', scopes: ['mqtt'] });
      expect(await connackCode(platform.mqttUrl, other.accountId, mqttKey.body.key)).toBe(4);
      expect(await connackCode(platform.mqttUrl, account.accountId, `${mqttKey.body.key.slice(0, -4)}xxxx`)).toBe(4);
      expect(await connackCode(platform.mqttUrl, account.accountId, mqttKey.body.key)).toBe(0);
    });
  });

  describe('topic ACL', () => {
    it("refuses a publish to another SIM's topic with a reason on the device's error topic", async () => {
      const iccid = sims[4];
      const device = await connectClient(platform.mqttUrl, iccid, secrets.get(iccid)!);
      const { messages } = await collect(device, [`things/${iccid}/errors`]);
      await device.publishAsync(`things/${sims[5]}/sessions`, JSON.stringify(session('foreign', 1, 1)), { qos: 1 });
      await device.publishAsync(`things/${iccid}/commands`, '{}', { qos: 1 });
      const errors = await waitFor(() => (messages.length >= 2 ? messages : undefined));
      expect(errors[0]).toMatchObject({
        topic: `things/${iccid}/errors`,
        json: { topic: `things/${sims[5]}/sessions`, errors: [{ code: 'topic_not_allowed' }] },
      });
      expect(errors[1].json).toMatchObject({ topic: `things/${iccid}/commands`, errors: [{ code: 'topic_not_allowed' }] });
      await device.endAsync();
      expect(await usageTotals(sims[5])).toMatchObject({ sessions: 0 });
    });

    it("answers a subscription to another SIM's topics with SUBACK failure 0x80 and keeps the connection", async () => {
      const iccid = sims[4];
      const device = await connectClient(platform.mqttUrl, iccid, secrets.get(iccid)!);
      const { granted } = await collect(device, [`things/${sims[5]}/commands`, `things/${iccid}/commands`, `things/${iccid}/sessions`, 'things/#']);
      expect(granted).toEqual([128, 1, 128, 128]);
      expect(device.connected).toBe(true);
      await device.endAsync();
      const sub = await mosquitto('mosquitto_sub', [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-V',
        'mqttv311',
        '-u',
        iccid,
        '-P',
        secrets.get(iccid)!,
        '-t',
        `things/${sims[5]}/sms`,
        '-C',
        '1',
        '-W',
        '3',
      ]);
      expect(`${sub.stdout}${sub.stderr}`.toLowerCase()).toContain('denied');
    });
  });

  describe('payload validation', () => {
    it('refuses each malformed record with its reason and index, and stores the good ones', async () => {
      const iccid = sims[6];
      const device = await connectClient(platform.mqttUrl, iccid, secrets.get(iccid)!);
      const { messages } = await collect(device, [`things/${iccid}/errors`]);
      const corpus: Array<[string, string, string]> = [
        ['sessions', 'not json at all', 'malformed_json'],
        ['sessions', JSON.stringify({ ...session('t1', 1, 1), bytesUp: '12' }), 'invalid_record'],
        ['sessions', JSON.stringify({ sessionId: 'm1', startedAt: iso(HOUR) }), 'invalid_record'],
        ['sessions', JSON.stringify(session('neg', -5, 1)), 'invalid_record'],
        ['sessions', JSON.stringify(session('rev', 1, 1, { startedAt: iso(HOUR), endedAt: iso(2 * HOUR) })), 'invalid_record'],
        ['sessions', JSON.stringify(session('fut', 1, 1, { startedAt: new Date(Date.now() + 2 * HOUR).toISOString() })), 'timestamp_in_future'],
        ['sessions', JSON.stringify(session('old', 1, 1, { startedAt: iso(500 * 24 * HOUR) })), 'timestamp_too_old'],
        ['location', JSON.stringify({ lat: 91, lon: 0, accuracyM: 5, source: 'gps', at: iso(0) }), 'invalid_record'],
        ['status', JSON.stringify({ imei: '123', at: iso(0) }), 'invalid_record'],
        ['sessions', JSON.stringify({ ...session('extra', 1, 1), surprise: true }), 'invalid_record'],
      ];
      for (const [channel, payload] of corpus) await device.publishAsync(`things/${iccid}/${channel}`, payload, { qos: 1 });
      const refused = await waitFor(() => (messages.length >= corpus.length ? messages : undefined));
      expect(refused.map((m) => m.json.errors[0].code)).toEqual(corpus.map(([, , code]) => code));
      for (const m of refused) expect(m.json.errors[0].message).toEqual(expect.any(String));
      expect(refused[3].json.errors[0].message).toContain('bytesUp');
      expect(refused[4].json.errors[0].message).toContain('endedAt is before startedAt');

      // An array mixing good and bad records: the good ones are stored, the bad ones reported by index.
      messages.length = 0;
      await device.publishAsync(
        `things/${iccid}/sessions`,
        JSON.stringify([
          session('good-a', 100, 200),
          { nonsense: true },
          session('good-b', 300, 400, { startedAt: iso(HOUR) }),
          session('bad-c', 1, 1, { rat: '6G' }),
        ]),
        { qos: 1 },
      );
      const mixed = await waitFor(() => messages[0]);
      expect(mixed.json.errors).toEqual([
        expect.objectContaining({ code: 'invalid_record', index: 1 }),
        expect.objectContaining({ code: 'invalid_record', index: 3 }),
      ]);
      await eventually(async () => ((await usageTotals(iccid))?.sessions === 2 ? true : undefined));
      expect(await usageTotals(iccid)).toMatchObject({ sessions: 2, bytesUp: 400, bytesDown: 600 });
      await device.endAsync();
      const metrics = (await new ApiClient(platform.url).get('/metrics')).body as string;
      expect(metrics).toMatch(/simfleet_rejected_records_total\{reason="invalid_record"\} (\d+)/);
      expect(Number(/simfleet_rejected_records_total\{reason="invalid_record"\} (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(8);
    });

    it('reports the payload-size and rate limits on the error topic and in /metrics', async () => {
      const iccid = sims[7];
      const device = await connectClient(platform.mqttUrl, iccid, secrets.get(iccid)!);
      const { messages } = await collect(device, [`things/${iccid}/errors`]);
      await device.publishAsync(
        `things/${iccid}/sessions`,
        JSON.stringify({ ...session('big', 1, 1), network: 'x'.repeat(90), pad: 'y'.repeat(5000) }),
        { qos: 1 },
      );
      const tooLarge = await waitFor(() => messages.find((m) => m.json.errors[0].code === 'payload_too_large'));
      expect(tooLarge.json.errors[0].message).toContain('MQTT_MAX_PAYLOAD_BYTES');
      // 60 messages at once against a bucket of 20 per second: the excess is refused, each one reported.
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          device.publishAsync(
            `things/${iccid}/location`,
            JSON.stringify({ lat: 48.85, lon: 2.35 + i / 1000, accuracyM: 5, source: 'gps', at: iso(i * 1000) }),
            { qos: 1 },
          ),
        ),
      );
      const limited = await waitFor(() => {
        const found = messages.filter((m) => m.json.errors[0].code === 'rate_limited');
        return found.length >= 30 ? found : undefined;
      });
      expect(limited[0].json.errors[0].message).toContain('MQTT_MAX_MESSAGES_PER_SECOND');
      await device.endAsync();
      const metrics = (await new ApiClient(platform.url).get('/metrics')).body as string;
      expect(metrics).toMatch(/simfleet_mqtt_refused_total\{reason="payload_too_large"\} [1-9]/);
      expect(Number(/simfleet_mqtt_refused_total\{reason="rate_limited"\} (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(30);
    });
  });

  describe('QoS 1', () => {
    it('counts a record redelivered after the connection dropped before PUBACK once in the ledger', async () => {
      const iccid = sims[8];
      const clientId = `dev-${iccid}`;
      const record = JSON.stringify(session('redelivered', 5_000, 7_000));
      const socket = await rawConnect(port, connectPacket(clientId, iccid, secrets.get(iccid)!, { clean: false, keepaliveSeconds: 30 }));
      socket.write(publishQos1Packet(`things/${iccid}/sessions`, 1, record));
      socket.destroy(); // gone before any PUBACK could arrive
      // The device reconnects with the same session and resends the unacknowledged message (DUP set), twice for good measure.
      const again = await rawConnect(port, connectPacket(clientId, iccid, secrets.get(iccid)!, { clean: false, keepaliveSeconds: 30 }));
      again.write(publishQos1Packet(`things/${iccid}/sessions`, 1, record, true));
      const device = await connectClient(platform.mqttUrl, iccid, secrets.get(iccid)!, { clientId, clean: false });
      await device.publishAsync(`things/${iccid}/sessions`, record, { qos: 1, dup: true });
      await device.endAsync();
      again.destroy();
      await eventually(async () => ((await usageTotals(iccid))?.sessions === 1 ? true : undefined));
      await new Promise((r) => setTimeout(r, 300)); // any duplicate would have been processed by now
      expect(await usageTotals(iccid)).toEqual({ sessions: 1, bytesUp: 5_000, bytesDown: 7_000, bytesTotal: 12_000 });
      expect(await events('session.started', iccid)).toHaveLength(1);
    });
  });

  describe('connections', () => {
    it('records sim.connected / sim.disconnected with their reason, and the connection state', async () => {
      const iccid = sims[9];
      const connections = platform.platform.app.get(SimConnectionRepository);
      expect(await connections.connectionState(iccid)).toEqual({ online: false, since: null, brokerId: null, lastDisconnectReason: null });
      const device = await connectClient(platform.mqttUrl, iccid, secrets.get(iccid)!);
      const online = await eventually(async () =>
        (await connections.connectionState(iccid)).online ? connections.connectionState(iccid) : undefined,
      );
      expect(online.since).toBeInstanceOf(Date);
      expect(online.brokerId).toEqual(expect.stringContaining(String(port)));
      await device.endAsync();
      await eventually(async () => ((await events('sim.disconnected', iccid)).length === 1 ? true : undefined));
      expect((await events('sim.disconnected', iccid))[0].data).toMatchObject({ iccid, reason: 'client_disconnect' });
      expect(await connections.connectionState(iccid)).toMatchObject({ online: false, lastDisconnectReason: 'client_disconnect' });

      // Dropped without DISCONNECT, then silent past its keepalive (1 s × 1.5).
      const lost = await rawConnect(port, connectPacket(`lost-${iccid}`, iccid, secrets.get(iccid)!, { clean: true, keepaliveSeconds: 30 }));
      await eventually(async () => ((await events('sim.connected', iccid)).length === 2 ? true : undefined));
      lost.destroy();
      await eventually(async () => ((await events('sim.disconnected', iccid)).length === 2 ? true : undefined));
      const silent = await rawConnect(port, connectPacket(`silent-${iccid}`, iccid, secrets.get(iccid)!, { clean: true, keepaliveSeconds: 1 }));
      const reasons = await eventually(async () => {
        const found = (await events('sim.disconnected', iccid)).map((e) => e.data.reason);
        return found.length === 3 ? found : undefined;
      });
      expect(reasons.sort()).toEqual(['client_disconnect', 'connection_lost', 'keepalive_timeout']);
      silent.destroy();

      // Suspension kicks the device.
      const again = await connectClient(platform.mqttUrl, iccid, secrets.get(iccid)!);
      await eventually(async () => ((await events('sim.connected', iccid)).length === 4 ? true : undefined));
      expect((await account.api.post(`/v1/sims/${iccid}/suspend`)).status).toBe(200);
      await eventually(async () => ((await events('sim.disconnected', iccid)).some((e) => e.data.reason === 'kicked_suspended') ? true : undefined));
      again.end(true);
      const hours = await connections.connectsPerHour(iccid, new Date(Date.now() - HOUR), new Date(Date.now() + HOUR));
      expect(hours.reduce((n, h) => n + h.connects, 0)).toBe(4);
    });

    it('runs a connectivity test: answered with a round trip, timeout, offline; and a reset', async () => {
      const iccid = sims[10];
      const device = await connectClient(platform.mqttUrl, iccid, secrets.get(iccid)!);
      const { messages } = await collect(device, [`things/${iccid}/commands`]);
      let answering = true;
      device.on('message', (topic, payload) => {
        const command = JSON.parse(payload.toString()) as { type: string; correlationId: string };
        if (answering && command.type === 'ping')
          void device.publishAsync(
            `things/${iccid}/status`,
            JSON.stringify({ imei: '490154203237518', at: new Date().toISOString(), correlationId: command.correlationId }),
            { qos: 1 },
          );
      });
      await eventually(async () => ((await events('sim.connected', iccid)).length === 1 ? true : undefined));
      const answered = await account.api.post(`/v1/sims/${iccid}/connectivity-test`, {});
      expect(answered.status).toBe(200);
      expect(answered.body).toMatchObject({ iccid, result: 'answered', correlationId: expect.any(String), roundTripMs: expect.any(Number) });
      expect(messages[0].json).toMatchObject({ type: 'ping', correlationId: answered.body.correlationId });

      answering = false;
      const timeout = await account.api.post(`/v1/sims/${iccid}/connectivity-test`, { timeoutMs: 300 });
      expect(timeout.body).toMatchObject({ iccid, result: 'timeout', timeoutMs: 300 });

      const reset = await account.api.post(`/v1/sims/${iccid}/reset-connectivity`);
      expect(reset.body).toEqual({ iccid, result: 'disconnected' });
      await eventually(async () =>
        (await events('sim.disconnected', iccid)).some((e) => e.data.reason === 'kicked_connectivity_reset') ? true : undefined,
      );
      await eventually(async () => (device.connected ? undefined : true));
      device.end(true);

      expect((await account.api.post(`/v1/sims/${iccid}/connectivity-test`, {})).body).toEqual({ iccid, result: 'offline' });
      expect((await account.api.post(`/v1/sims/${iccid}/reset-connectivity`)).body).toEqual({ iccid, result: 'offline' });
    });

    it('answers 404 for another tenant’s SIM, 422 for a bad body, 403 without write scope', async () => {
      expect((await account.api.post(`/v1/sims/${otherSims[0]}/connectivity-test`, {})).status).toBe(404);
      expect((await account.api.post(`/v1/sims/${otherSims[0]}/reset-connectivity`)).status).toBe(404);
      const bad = await account.api.post(`/v1/sims/${sims[10]}/connectivity-test`, { timeoutMs: 5, extra: 1 });
      expect(bad.status).toBe(422);
      expect(bad.headers.get('content-type')).toContain('application/problem+json');
      // Every problem listed: the out-of-range timeout and the unknown member.
      expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['extra', 'timeoutMs']);
      expect(bad.body.errors.find((e: { field: string }) => e.field === 'extra').message).toBe('unknown field');
      expect((await new ApiClient(platform.url, account.readKey).post(`/v1/sims/${sims[10]}/reset-connectivity`)).status).toBe(403);
    });
  });

  describe('integration subscriptions', () => {
    it("delivers its own account's accepted records and errors, never another account's", async () => {
      const key = (await admin.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'backend', scopes: ['mqtt'] })).body.key;
      const integration = await connectClient(platform.mqttUrl, account.accountId, key, { clientId: `int-${account.accountId}` });
      const { messages, granted } = await collect(integration, [
        'things/+/sessions',
        'things/+/errors',
        `things/${sims[11]}/location`,
        `things/${otherSims[0]}/sessions`,
        'things/#',
        '$simfleet/#',
      ]);
      expect(granted).toEqual([1, 1, 1, 128, 128, 128]);

      const mine = await connectClient(platform.mqttUrl, sims[11], secrets.get(sims[11])!);
      const theirs = await connectClient(platform.mqttUrl, otherSims[0], secrets.get(otherSims[0])!);
      await theirs.publishAsync(`things/${otherSims[0]}/sessions`, JSON.stringify(session('theirs', 1, 1)), { qos: 1 });
      await theirs.publishAsync(`things/${otherSims[0]}/sessions`, 'garbage', { qos: 1 });
      await mine.publishAsync(`things/${sims[11]}/sessions`, JSON.stringify([session('mine', 10, 20), { bad: 1 }]), { qos: 1 });
      await mine.publishAsync(`things/${sims[11]}/location`, JSON.stringify({ lat: 1, lon: 2, accuracyM: 3, source: 'cell', at: iso(0) }), {
        qos: 1,
      });
      await waitFor(() => (messages.length >= 3 ? true : undefined));
      await new Promise((r) => setTimeout(r, 300));
      expect(messages.map((m) => m.topic).sort()).toEqual([
        `things/${sims[11]}/errors`,
        `things/${sims[11]}/location`,
        `things/${sims[11]}/sessions`,
      ]);
      expect(messages.find((m) => m.topic.endsWith('/sessions'))!.json).toEqual(
        [session('mine', 10, 20)].map((s) => ({ ...s, startedAt: expect.any(String) })),
      );
      expect(messages.find((m) => m.topic.endsWith('/errors'))!.json.errors).toEqual([expect.objectContaining({ code: 'invalid_record', index: 1 })]);

      // An integration only subscribes: a publish closes its connection and reaches no device.
      const { messages: commands } = await collect(mine, [`things/${sims[11]}/commands`]);
      const closed = new Promise<void>((resolve) => integration.once('close', () => resolve()));
      integration.publish(`things/${sims[11]}/commands`, '{"type":"reboot"}', { qos: 1 });
      await closed;
      await new Promise((r) => setTimeout(r, 200));
      expect(commands).toEqual([]);
      integration.end(true);
      await mine.endAsync();
      await theirs.endAsync();
    });
  });
});
