// Issue 10's crash drills with real processes: a broker killed with SIGKILL whose wills are then published
// by its restarted self (checked again, whatever stored them), and Redis killed with SIGKILL under a
// running broker process (which must live, say it is not ready, refuse devices with a reason, and recover).
import { Redis } from 'ioredis';
import msgpack from 'msgpack-lite';
import type { MqttClient } from 'mqtt';
import { freePort, requireServers } from '../harness/isolation.js';
import { startRedis, type ServerHandle } from '../harness/servers.js';
import { buildPlatform, kill9, startBrokerProcess } from './support/broker-process.js';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims } from './support/fleet.js';
import { collect, connackCode, connectClient, fullConnectPacket, rawConnect } from './support/mqtt.js';
import { ADMIN_KEY, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

const status = (firmware: string) => ({ imei: '490154203237518', at: new Date().toISOString(), firmware });

requireServers(
  'postgres',
  'redis',
  'influx',
)('MQTT broker crashes (servers shape, broker as a process)', () => {
  let build: { dir: string; remove(): void };

  beforeAll(() => {
    build = buildPlatform();
  }, 120_000);
  afterAll(() => build?.remove());

  describe('a broker killed with its clients’ wills', () => {
    let resources: ShapeResources;
    let core: TestPlatform;
    let broker: Awaited<ReturnType<typeof startBrokerProcess>> | undefined;
    const opened: MqttClient[] = [];

    beforeAll(async () => {
      resources = await provisionShape('servers');
      core = await startTestPlatform(resources.env, ['api', 'worker']);
    }, 120_000);
    afterAll(async () => {
      for (const c of opened) c.end(true);
      if (broker) await kill9(broker.child);
      await core?.stop();
      await resources?.release();
    });

    it('publishes after the crash only the wills its owner may publish: the victim of another account never receives a forged message', async () => {
      const admin = new ApiClient(core.url, ADMIN_KEY);
      const mine = await createAccount(admin, 'Will owner');
      const theirs = await createAccount(admin, 'Will victim');
      const [attacker, suspended] = await orderSims(admin, mine, 2);
      const [victim] = await orderSims(admin, theirs, 1);
      const secrets = new Map([
        [attacker, await activate(mine, attacker)],
        [suspended, await activate(mine, suspended)],
        [victim, await activate(theirs, victim)],
      ]);
      const [port, httpPort] = [await freePort(), await freePort()];
      const env = {
        ...core.env,
        PORT: String(httpPort),
        MQTT_WS_PORT: '0',
        LOG_LEVEL: 'warn',
        MQTT_BROKER_ID: 'broker-wills',
        MQTT_BROKER_HEARTBEAT: '1s',
      };
      broker = await startBrokerProcess(build.dir, env, port);
      const url = `mqtt://127.0.0.1:${port}`;

      // The victim (another account) listens on its commands topic, and the other account's integration on its sessions.
      // Both keep a session (clean=false): what is published while they are away is queued for them.
      const victimDevice = await connectClient(url, victim, secrets.get(victim)!, { clientId: 'victim', clean: false });
      opened.push(victimDevice);
      await collect(victimDevice, [`things/${victim}/commands`, `things/${victim}/sms`]);
      const key = (await admin.post(`/v1/accounts/${theirs.accountId}/api-keys`, { name: 'victim backend', scopes: ['mqtt'] })).body.key;
      const integration = await connectClient(url, theirs.accountId, key, { clientId: 'victim-backend', clean: false });
      opened.push(integration);
      await collect(integration, ['things/+/sessions', 'things/+/status']);

      // The attacker's own will (its status topic) is accepted; one of a SIM suspended before the crash too.
      const withWill = (iccid: string, firmware: string) =>
        rawConnect(
          port,
          fullConnectPacket({
            clientId: `will-${iccid}`,
            username: iccid,
            password: secrets.get(iccid)!,
            clean: false,
            will: { topic: `things/${iccid}/status`, payload: JSON.stringify(status(firmware)), qos: 1, retain: true },
          }),
        );
      const sockets = [await withWill(attacker, 'will-after-crash'), await withWill(suspended, 'will-of-a-suspended-sim')];
      // Wills an earlier version accepted (or a tampered store holds), stored for a broker that is gone: one under a
      // client id of no SIM, one under the attacker's own session but on another account's internal topic, retained.
      const redis = new Redis(core.env.REDIS_URL!, { keyPrefix: `${core.env.REDIS_PREFIX}:mqtt:` });
      const plant = async (clientId: string, topic: string, payload: string, retain: boolean) => {
        const willKey = `will:deadbroker:${encodeURIComponent(clientId)}`;
        const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false, clientId, brokerId: 'deadbroker' };
        await redis.set(willKey, msgpack.encode(packet));
        await redis.rpush('will', willKey);
      };
      await plant('device-0001', `things/${victim}/commands`, JSON.stringify({ type: 'ping', correlationId: 'forged' }), false);
      await plant(
        `device/${attacker}/will-${attacker}`,
        `$simfleet/accounts/${theirs.accountId}/things/${victim}/sessions`,
        JSON.stringify({
          sessionId: 'forged',
          startedAt: new Date().toISOString(),
          endedAt: null,
          bytesUp: 999_999_999,
          bytesDown: 0,
          mcc: '208',
          mnc: '01',
          rat: '4G',
        }),
        true,
      );

      await kill9(broker.child);
      for (const s of sockets) s.destroy();
      // Suspended while no broker runs: its will, published after the restart, must be refused.
      expect((await mine.api.post(`/v1/sims/${suspended}/suspend`)).status).toBe(200);
      broker = await startBrokerProcess(build.dir, env, port);
      // They reconnect at once, to their persisted sessions, before the dead instance's wills are published.
      const listen = async (username: string, password: string, clientId: string) => {
        const client = await connectClient(url, username, password, { clientId, clean: false });
        opened.push(client);
        const received: Array<{ topic: string; json: any }> = [];
        client.on('message', (topic, payload) => received.push({ topic, json: JSON.parse(payload.toString()) }));
        expect((client as unknown as { connackPacket: { sessionPresent: boolean } }).connackPacket.sessionPresent).toBe(true);
        return received;
      };
      const victimReceived = await listen(victim, secrets.get(victim)!, 'victim');
      const integrationReceived = await listen(theirs.accountId, key, 'victim-backend');

      // Within a few heartbeats the restarted broker publishes the dead instance's wills, through the device policy.
      await eventually(
        async () => ((await mine.api.get(`/v1/sims/${attacker}/diagnostics`)).body.firmware === 'will-after-crash' ? true : undefined),
        60_000,
      );
      await new Promise((r) => setTimeout(r, 6_000)); // several more will checks (every 4 heartbeats)
      expect(victimReceived).toEqual([]);
      expect(integrationReceived.filter((m) => JSON.stringify(m.json).includes('forged') || m.json?.bytesUp === 999_999_999)).toEqual([]);
      expect((await mine.api.get(`/v1/sims/${suspended}/diagnostics`)).body.firmware).not.toBe('will-of-a-suspended-sim');
      expect(await redis.hkeys('retained')).toEqual([]);
      expect(await redis.lrange('will', 0, -1)).toEqual([]);
      const metrics = (await new ApiClient(`http://127.0.0.1:${httpPort}`).get('/metrics')).body as string;
      expect(metrics).toMatch(/simfleet_mqtt_refused_total\{reason="will_refused"\} [3-9]/);
      await redis.quit();
    }, 240_000);
  });

  describe('Redis killed under a running broker', () => {
    let redisServer: ServerHandle;
    let resources: ShapeResources;
    let core: TestPlatform;
    let broker: Awaited<ReturnType<typeof startBrokerProcess>> | undefined;

    beforeAll(async () => {
      // A Redis of this test's own: it is killed, and the run's shared one serves the other suites.
      redisServer = await startRedis({ appendonly: true });
      resources = await provisionShape('servers');
      core = await startTestPlatform({ ...resources.env, REDIS_URL: redisServer.url }, ['api', 'worker']);
    }, 120_000);
    afterAll(async () => {
      if (broker) await kill9(broker.child);
      await core?.stop();
      await resources?.release();
      await redisServer?.destroy();
    });

    it('keeps the broker process alive, not ready and refusing with a reason while Redis is away, and serving again once it is back', async () => {
      const admin = new ApiClient(core.url, ADMIN_KEY);
      const account = await createAccount(admin, 'Redis loss');
      const [iccid] = await orderSims(admin, account, 1);
      const secret = await activate(account, iccid);
      const [port, httpPort] = [await freePort(), await freePort()];
      broker = await startBrokerProcess(
        build.dir,
        { ...core.env, PORT: String(httpPort), MQTT_WS_PORT: '0', LOG_LEVEL: 'warn', MQTT_BROKER_ID: 'broker-redis' },
        port,
      );
      const brokerHttp = new ApiClient(`http://127.0.0.1:${httpPort}`);
      const url = `mqtt://127.0.0.1:${port}`;
      await eventually(async () => ((await brokerHttp.get('/ready')).status === 200 ? true : undefined), 30_000);
      const device = await connectClient(url, iccid, secret, { clientId: 'through-redis-loss', clean: false });
      const record = (n: number) => JSON.stringify({ ...status(`fw-${n}`) });
      await device.publishAsync(`things/${iccid}/status`, record(1), { qos: 1 });

      process.kill(redisServer.pid!, 'SIGKILL');
      // The broker lives, says why it is not ready, and refuses what it cannot serve: no PUBACK, CONNACK 3.
      const notReady = await eventually(async () => {
        const res = await brokerHttp.get('/ready');
        return res.status === 503 ? res : undefined;
      }, 30_000);
      expect(JSON.stringify(notReady.body)).toContain('redis');
      const unacknowledged = await Promise.race([
        device.publishAsync(`things/${iccid}/status`, record(2), { qos: 1 }).then(() => 'acknowledged'),
        new Promise((r) => device.once('close', () => r('closed'))),
        new Promise((r) => setTimeout(() => r('waiting'), 5_000)),
      ]);
      expect(unacknowledged).not.toBe('acknowledged');
      device.end(true);
      expect(await connackCode(url, iccid, secret)).toBe(3);
      await new Promise((r) => setTimeout(r, 3_000));
      expect(broker.child.exitCode).toBeNull();

      await redisServer.start();
      await eventually(async () => ((await brokerHttp.get('/ready')).status === 200 ? true : undefined), 60_000);
      const back = await connectClient(url, iccid, secret, { clientId: 'through-redis-loss', clean: false });
      await back.publishAsync(`things/${iccid}/status`, record(3), { qos: 1 });
      await eventually(async () => ((await account.api.get(`/v1/sims/${iccid}/diagnostics`)).body.firmware === 'fw-3' ? true : undefined), 60_000);
      await back.endAsync();
      expect(broker.child.exitCode).toBeNull();
      expect(broker.output()).not.toMatch(/Unhandled|uncaught/i);
    }, 240_000);
  });
});
