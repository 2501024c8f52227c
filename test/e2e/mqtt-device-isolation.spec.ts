// The outside drill of issue 10, replayed with real clients: sessions and wills belong to the SIM that
// authenticated, logins by name are unambiguous, malformed and oversized packets close the connection,
// and every refusal names what it refused.
import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import {
  collect,
  connackReturnCode,
  connectClient,
  connectPacket,
  fixedHeader,
  fullConnectPacket,
  mosquitto,
  paho,
  rawConnect,
  rawExchange,
  rawTopicPublishPacket,
  waitFor,
} from './support/mqtt.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

const HOUR = 3_600_000;
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
// Distinct start times: in InfluxDB a session is one series key + its start (two starting in the same millisecond merge).
const START = Date.now() - HOUR;
let started = 0;
const startOf = new Map<string, string>();
const session = (sessionId: string, bytesUp: number, bytesDown = bytesUp) => ({
  sessionId,
  startedAt: startOf.get(sessionId) ?? startOf.set(sessionId, new Date(START + ++started * 1000).toISOString()).get(sessionId)!,
  endedAt: null,
  bytesUp,
  bytesDown,
  mcc: '208',
  mnc: '01',
  rat: 'LTE-M',
});
const status = (extra: Record<string, unknown> = {}) => ({ imei: '490154203237518', at: iso(0), ...extra });
const sessionPresent = (client: MqttClient) =>
  (client as unknown as { connackPacket?: { sessionPresent?: boolean } }).connackPacket?.sessionPresent === true;

describe.each(SHAPES)('MQTT device isolation (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let account: ProvisionedAccount;
  let other: ProvisionedAccount;
  let sims: string[];
  let otherSims: string[];
  const secrets = new Map<string, string>();
  let port: number;
  const opened: MqttClient[] = [];

  const events = async (owner: ProvisionedAccount, type: string, iccid: string) =>
    (await owner.api.get(`/v1/events?type=${type}&subject=${iccid}&limit=100`)).body.data as Array<{ data: Record<string, unknown> }>;
  const connect = async (iccid: string, options: Parameters<typeof connectClient>[3] = {}) => {
    const client = await connectClient(platform.mqttUrl, iccid, secrets.get(iccid)!, options);
    opened.push(client);
    return client;
  };

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, { MQTT_MAX_MESSAGES_PER_SECOND: '5', MQTT_MAX_PAYLOAD_BYTES: '4096' });
    admin = new ApiClient(platform.url, ADMIN_KEY);
    port = platform.platform.mqttPorts.tcp!;
    account = await createAccount(admin, 'Isolation');
    other = await createAccount(admin, 'Isolation Other');
    sims = await orderSims(admin, account, 8);
    otherSims = await orderSims(admin, other, 2);
    for (const iccid of sims) secrets.set(iccid, await activate(account, iccid));
    for (const iccid of otherSims) secrets.set(iccid, await activate(other, iccid));
  }, 300_000);

  afterAll(async () => {
    for (const client of opened) client.end(true);
    await platform?.stop();
    await resources?.release();
  });

  describe('sessions belong to the SIM that authenticated', () => {
    it("gives a SIM using another SIM's client id (other account, or same account) a session of its own: no kick, no sessionPresent, no queued message", async () => {
      const [owner, sameAccount] = sims;
      const [foreign] = otherSims;
      const first = await connect(owner, { clientId: 'device-0001', clean: false });
      await first.subscribeAsync([`things/${owner}/sms`, `things/${owner}/errors`], { qos: 1 });
      await first.endAsync();
      // While the owner is away the platform queues a message for its session (an error of its own making, sent from another connection).
      const helper = await connect(owner, { clientId: 'owner-helper' });
      await helper.publishAsync(`things/${owner}/sessions`, 'not json', { qos: 1 });
      await helper.endAsync();

      for (const intruderIccid of [foreign, sameAccount]) {
        const intruder = await connect(intruderIccid, { clientId: 'device-0001', clean: false });
        const received: string[] = [];
        intruder.on('message', (topic) => received.push(topic));
        expect(sessionPresent(intruder)).toBe(false);
        await new Promise((r) => setTimeout(r, 300));
        expect(received).toEqual([]);
        await intruder.endAsync();
      }

      // The owner's session is intact: present, with its queued message; and a foreign client id takeover does not kick it.
      const back = await connect(owner, { clientId: 'device-0001', clean: false });
      const queued: Array<{ topic: string; json: any }> = [];
      back.on('message', (topic, payload) => queued.push({ topic, json: JSON.parse(payload.toString()) }));
      expect(sessionPresent(back)).toBe(true);
      await waitFor(() => (queued.length ? true : undefined));
      expect(queued[0]).toMatchObject({ topic: `things/${owner}/errors`, json: { errors: [{ code: 'malformed_json' }] } });
      const intruder = await connect(foreign, { clientId: 'device-0001', clean: false });
      await new Promise((r) => setTimeout(r, 300));
      expect(back.connected).toBe(true);
      await intruder.endAsync();
      await back.endAsync();
    });

    it('logs a client id reused by the same SIM as replaced_by_new_connection, not connection_lost', async () => {
      const iccid = sims[2];
      const first = await connect(iccid, { clientId: 'same-id', clean: false });
      await eventually(async () => ((await events(account, 'sim.connected', iccid)).length === 1 ? true : undefined));
      const closed = new Promise<void>((resolve) => first.once('close', () => resolve()));
      const second = await connect(iccid, { clientId: 'same-id', clean: false });
      await closed;
      await second.endAsync();
      const reasons = await eventually(async () => {
        const found = (await events(account, 'sim.disconnected', iccid)).map((e) => e.data.reason);
        return found.length === 2 ? found : undefined;
      }, 30_000);
      expect(reasons.sort()).toEqual(['client_disconnect', 'replaced_by_new_connection']);
    });

    it('refuses an empty client id with clean=false (CONNACK 2), and on MQTT 3.1, and accepts it with clean=true on 3.1.1', async () => {
      const iccid = sims[3];
      const refused = await rawExchange(port, [fullConnectPacket({ clientId: '', username: iccid, password: secrets.get(iccid)!, clean: false })]);
      expect(connackReturnCode(refused.received)).toBe(2);
      expect(refused.closed).toBe(true);
      const accepted = await rawExchange(
        port,
        [fullConnectPacket({ clientId: '', username: iccid, password: secrets.get(iccid)!, clean: true })],
        500,
      );
      expect(connackReturnCode(accepted.received)).toBe(0);
      // MQTT 3.1 requires a client id of 1 to 23 characters: refused even with clean session (paho and mosquitto generate one instead of sending it empty).
      const v31 = await rawExchange(port, [
        fullConnectPacket({ clientId: '', username: iccid, password: secrets.get(iccid)!, clean: true, protocolVersion: 3 }),
      ]);
      expect(connackReturnCode(v31.received)).toBe(2);
    });
  });

  describe('wills', () => {
    it("refuses at CONNECT (5) a will on another SIM's topic, a down topic, or another account's internal topic, from mqtt.js, mosquitto and paho", async () => {
      const attacker = sims[4];
      const [victim] = otherSims;
      const code = async (topic: string, retain: boolean) =>
        connackReturnCode(
          (
            await rawExchange(port, [
              fullConnectPacket({
                clientId: `will-${topic.length}`,
                username: attacker,
                password: secrets.get(attacker)!,
                clean: true,
                will: { topic, payload: '{"type":"ping","correlationId":"forged"}', qos: 1, retain },
              }),
            ])
          ).received,
        );
      expect(await code(`things/${victim}/commands`, false)).toBe(5);
      expect(await code(`things/${attacker}/commands`, false)).toBe(5);
      expect(await code(`$simfleet/accounts/${other.accountId}/things/${victim}/sessions`, true)).toBe(5);
      expect(await code(`things/${attacker}/status\u0000`, false)).toBe(5);
      await expect(
        connectClient(platform.mqttUrl, attacker, secrets.get(attacker)!, {
          will: { topic: `things/${victim}/sms`, payload: Buffer.from('x'), qos: 1, retain: false },
        }),
      ).rejects.toMatchObject({ code: 5 });
      const mosq = await mosquitto('mosquitto_sub', [
        ...['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-u', attacker, '-P', secrets.get(attacker)!],
        ...[
          '--will-topic',
          `things/${victim}/commands`,
          '--will-payload',
          'forged',
          '--will-qos',
          '1',
          '-t',
          `things/${attacker}/sms`,
          '-C',
          '1',
          '-W',
          '3',
        ],
      ]);
      expect(`${mosq.stdout}${mosq.stderr}`.toLowerCase()).toContain('not authori');
      const v31 = await paho(`
import json, paho.mqtt.client as mqtt
codes = []
c = mqtt.Client(client_id="paho-will", protocol=mqtt.MQTTv31)
c.username_pw_set("${attacker}", "${secrets.get(attacker)}")
c.will_set("things/${victim}/commands", "forged", qos=1, retain=True)
c.on_connect = lambda client, userdata, flags, rc: codes.append(rc)
c.connect("127.0.0.1", ${port}, 30)
for _ in range(20): c.loop(0.1)
print(json.dumps(codes))`);
      expect(v31).toEqual([5]);
      const metrics = (await new ApiClient(platform.url).get('/metrics')).body as string;
      expect(Number(/simfleet_mqtt_refused_total\{reason="will_not_allowed"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(6);
    });

    it('publishes an accepted will (own status topic) through the same checks as any publish, never retained, never to a device', async () => {
      const iccid = sims[5];
      const key = (await admin.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'will watcher', scopes: ['mqtt'] })).body.key;
      const integration = await connectClient(platform.mqttUrl, account.accountId, key, { clientId: 'will-watcher' });
      opened.push(integration);
      const { messages } = await collect(integration, [`things/${iccid}/status`, `things/${iccid}/errors`]);
      const socket = await rawConnect(
        port,
        fullConnectPacket({
          clientId: 'with-will',
          username: iccid,
          password: secrets.get(iccid)!,
          clean: true,
          will: { topic: `things/${iccid}/status`, payload: JSON.stringify(status({ firmware: 'last-will' })), qos: 1, retain: true },
        }),
      );
      socket.destroy(); // no DISCONNECT: the will is published
      await waitFor(() => (messages.length ? true : undefined));
      expect(messages[0]).toMatchObject({ topic: `things/${iccid}/status`, json: { firmware: 'last-will' } });
      // It was ingested as the SIM's status (diagnostics show its firmware), and a later subscriber gets nothing retained.
      await eventually(async () => ((await account.api.get(`/v1/sims/${iccid}/diagnostics`)).body.firmware === 'last-will' ? true : undefined));
      const late = await connect(iccid, { clientId: 'late' });
      const { messages: retained } = await collect(late, [`things/${iccid}/commands`]);
      await new Promise((r) => setTimeout(r, 300));
      expect(retained).toEqual([]);
    });
  });

  describe('login by name', () => {
    it('accepts name@account, refuses a bare name, and a SIM named alike in another account changes nothing', async () => {
      const iccid = sims[6];
      expect((await account.api.patch(`/v1/sims/${iccid}`, { name: 'meter-7' })).status).toBe(200);
      const code = async (username: string) => {
        try {
          const client = await connectClient(platform.mqttUrl, username, secrets.get(iccid)!);
          await client.endAsync();
          return 0;
        } catch (error) {
          return (error as { code?: number }).code ?? -1;
        }
      };
      expect(await code(`meter-7@${account.accountId}`)).toBe(0);
      expect(await code('meter-7')).toBe(4);
      expect(await code(`meter-7@${other.accountId}`)).toBe(4);
      expect((await other.api.patch(`/v1/sims/${otherSims[1]}`, { name: 'meter-7' })).status).toBe(200);
      expect(await code(`meter-7@${account.accountId}`)).toBe(0);
      expect(await code(iccid)).toBe(0);
    });
  });

  describe('malformed and oversized packets', () => {
    it('closes the connection, without PUBACK, on a topic with ill-formed UTF-8 or U+0000', async () => {
      const iccid = sims[7];
      const connect = connectPacket('utf8-test', iccid, secrets.get(iccid)!, { clean: true, keepaliveSeconds: 30 });
      for (const topic of [
        Buffer.concat([Buffer.from(`things/${iccid}/`), Buffer.from([0xc3, 0x28]), Buffer.from('status')]),
        Buffer.from(`things/${iccid}/status\u0000`),
        Buffer.from(`things/${iccid}\u0000/status`),
      ]) {
        const exchange = await rawExchange(port, [connect, rawTopicPublishPacket(topic, 7, JSON.stringify(status()))]);
        expect(connackReturnCode(exchange.received)).toBe(0);
        // CONNACK is 4 bytes; a PUBACK (0x40) would follow it.
        expect(exchange.received.subarray(4)).toEqual(Buffer.alloc(0));
        expect(exchange.closed).toBe(true);
      }
      const metrics = (await new ApiClient(platform.url).get('/metrics')).body as string;
      expect(metrics).toMatch(/simfleet_mqtt_refused_total\{reason="malformed_topic"\} [3-9]/);
    });

    it('refuses a 20 MB publish and a 60 MB unauthenticated CONNECT at their header, before reading them', async () => {
      const iccid = sims[7];
      for (const [packets, what] of [
        [[connectPacket('big-publish', iccid, secrets.get(iccid)!, { clean: true, keepaliveSeconds: 30 }), fixedHeader(0x32, 20_000_000)], 'publish'],
        [[fixedHeader(0x10, 60_000_000)], 'connect'],
      ] as Array<[Buffer[], string]>) {
        // Only the header and a first chunk are sent: a broker waiting for the whole body would keep the connection open.
        const exchange = await rawExchange(port, [...packets, Buffer.alloc(64 * 1024, 0x41)], 5_000);
        expect({ what, closed: exchange.closed }).toEqual({ what, closed: true });
      }
    });
  });

  describe('refusals name what they refused', () => {
    it('names the packet id and the session ids, lets resends of accepted records through the rate limit, and retains no refused record', async () => {
      const iccid = sims[0];
      const BURST = 40;
      const device = await connect(iccid, { clientId: 'naming' });
      const { messages } = await collect(device, [`things/${iccid}/errors`]);
      // A record refused by validation: its session id and index, and the message's packet id.
      await device.publishAsync(`things/${iccid}/sessions`, JSON.stringify([session('ok-1', 10), { ...session('bad-1', 10), rat: '6G' }]), {
        qos: 1,
      });
      const invalid = await waitFor(() => messages.find((m) => m.json.errors[0].code === 'invalid_record'));
      expect(invalid.json).toMatchObject({ messageId: expect.any(Number), errors: [{ code: 'invalid_record', index: 1, sessionId: 'bad-1' }] });

      // A burst over the rate (5/s; a device's publishes are handled one after the other, so make it long enough): the
      // refused messages name their session ids.
      await Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          device.publishAsync(`things/${iccid}/sessions`, JSON.stringify(session(`burst-${i}`, 100 + i)), { qos: 1 }),
        ),
      );
      // Every message of the burst was acknowledged: each is either stored or refused as rate_limited, never lost.
      const { limited } = await eventually(async () => {
        const found = messages.filter((m) => m.json.errors[0].code === 'rate_limited');
        const totals = (
          await account.api.get(`/v1/sims/${iccid}/usage?from=${iso(48 * HOUR)}&to=${new Date(Date.now() + HOUR).toISOString()}&interval=day`)
        ).body.totals;
        return totals?.sessions + found.length === 1 + BURST ? { limited: found } : undefined;
      }, 30_000);
      expect(limited.length).toBeGreaterThanOrEqual(5);
      for (const m of limited) {
        expect(m.json.messageId).toEqual(expect.any(Number));
        expect(m.json.errors[0].sessionIds).toEqual([expect.stringMatching(/^burst-\d+$/)]);
      }
      // A reconnect burst resending records already accepted (same sessions, same cumulative counters) is not rate limited.
      await new Promise((r) => setTimeout(r, 1_500));
      messages.length = 0;
      const acceptedIds = Array.from({ length: BURST }, (_, i) => `burst-${i}`).filter(
        (id) => !limited.some((m) => m.json.errors[0].sessionIds.includes(id)),
      );
      await Promise.all(
        acceptedIds.flatMap((id) =>
          [0, 1].map(() => device.publishAsync(`things/${iccid}/sessions`, JSON.stringify(session(id, 100 + Number(id.split('-')[1]))), { qos: 1 })),
        ),
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(messages.filter((m) => m.json.errors[0].code === 'rate_limited')).toEqual([]);

      // A retained invalid payload is refused and never retained (under $simfleet/refused/ or anywhere).
      await new Promise((r) => setTimeout(r, 1_200));
      await device.publishAsync(`things/${iccid}/sessions`, 'garbage', { qos: 1, retain: true });
      await waitFor(() => messages.find((m) => m.json.errors[0].code === 'malformed_json'));
      if (shape === 'servers') {
        const redis = new Redis(resources.env.REDIS_URL!);
        try {
          const retained = await redis.hkeys(`${resources.env.REDIS_PREFIX}:mqtt:retained`);
          expect(retained.filter((topic) => topic.includes(iccid))).toEqual([]);
        } finally {
          await redis.quit();
        }
      }
    });
  });
});
