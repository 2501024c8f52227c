import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { freePort, influxQuery, requireServers } from '../harness/isolation.js';
import { startInflux, type ServerHandle } from '../harness/servers.js';
import { Database, SimConnectionRepository } from '@simfleet/persistence';
import { buildPlatform, kill9, startBrokerProcess } from './support/broker-process.js';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { collect, connectClient, waitFor } from './support/mqtt.js';
import { ADMIN_KEY, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';

const HOUR = 3_600_000;
const DAY_START = new Date(Date.now() - 3 * HOUR);
/** Distinct start times: in InfluxDB a session is one series key + its start. */
const session = (sessionId: string, i: number, bytesUp = 100, bytesDown = 200) => ({
  sessionId,
  startedAt: new Date(DAY_START.getTime() + i * 1000).toISOString(),
  endedAt: null,
  bytesUp,
  bytesDown,
  mcc: '262',
  mnc: '01',
  rat: '4G',
});

async function usageSessions(account: ProvisionedAccount, iccid: string): Promise<number> {
  const res = await account.api.get(
    `/v1/sims/${iccid}/usage?from=${new Date(Date.now() - 48 * HOUR).toISOString()}&to=${new Date(Date.now() + HOUR).toISOString()}&interval=day`,
  );
  return res.body.totals?.sessions ?? 0;
}

// Several brokers sharing sessions and messages through Redis: only meaningful in the servers shape.
requireServers(
  'postgres',
  'redis',
  'influx',
)('MQTT brokers in separate processes (servers shape)', () => {
  describe('two brokers, an API + worker process', () => {
    let resources: ShapeResources;
    let core: TestPlatform;
    let brokerA: TestPlatform;
    let brokerB: TestPlatform;
    let account: ProvisionedAccount;
    let other: ProvisionedAccount;
    let sims: string[];
    let otherIccid: string;
    const secrets = new Map<string, string>();
    const opened: MqttClient[] = [];

    beforeAll(async () => {
      resources = await provisionShape('servers');
      core = await startTestPlatform(resources.env, ['api', 'worker']);
      brokerA = await startTestPlatform(resources.env, ['broker'], { MQTT_BROKER_ID: 'broker-a' });
      brokerB = await startTestPlatform(resources.env, ['broker'], { MQTT_BROKER_ID: 'broker-b' });
      const admin = new ApiClient(core.url, ADMIN_KEY);
      account = await createAccount(admin, 'Cluster');
      other = await createAccount(admin, 'Cluster Other');
      sims = await orderSims(admin, account, 3);
      [otherIccid] = await orderSims(admin, other, 1);
      for (const iccid of sims) secrets.set(iccid, await activate(account, iccid));
      secrets.set(otherIccid, await activate(other, otherIccid));
    }, 120_000);

    afterAll(async () => {
      for (const c of opened) c.end(true);
      await brokerA?.stop();
      await brokerB?.stop();
      await core?.stop();
      await resources?.release();
    });

    it('delivers a device’s records on broker A to its account’s integration on broker B, and nothing of another account', async () => {
      const admin = new ApiClient(core.url, ADMIN_KEY);
      const key = (await admin.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'backend', scopes: ['mqtt'] })).body.key;
      const integration = await connectClient(brokerB.mqttUrl, account.accountId, key, { clientId: 'integration-b' });
      opened.push(integration);
      const { messages, granted } = await collect(integration, ['things/+/sessions', 'things/+/errors', `things/${otherIccid}/sessions`]);
      expect(granted).toEqual([1, 1, 128]);

      const device = await connectClient(brokerA.mqttUrl, sims[0], secrets.get(sims[0])!);
      const stranger = await connectClient(brokerA.mqttUrl, otherIccid, secrets.get(otherIccid)!);
      opened.push(device, stranger);
      await stranger.publishAsync(`things/${otherIccid}/sessions`, JSON.stringify(session('stranger', 1)), { qos: 1 });
      await device.publishAsync(`things/${sims[0]}/sessions`, JSON.stringify(session('across', 2)), { qos: 1 });
      await device.publishAsync(`things/${sims[0]}/sessions`, '{"broken":', { qos: 1 });
      await waitFor(() => (messages.length >= 2 ? true : undefined));
      await new Promise((r) => setTimeout(r, 300));
      expect(messages.map((m) => m.topic).sort()).toEqual([`things/${sims[0]}/errors`, `things/${sims[0]}/sessions`]);
      expect(messages.find((m) => m.topic.endsWith('/sessions'))!.json).toEqual(session('across', 2));
      expect(messages.find((m) => m.topic.endsWith('/errors'))!.json.errors[0].code).toBe('malformed_json');
      await eventually(async () => ((await usageSessions(account, sims[0])) === 1 ? true : undefined));
    });

    it('keeps the records of an account without integrations off Redis, and forwards them across brokers once one subscribes', async () => {
      const admin = new ApiClient(core.url, ADMIN_KEY);
      const quiet = await createAccount(admin, 'Cluster Quiet');
      const [iccid] = await orderSims(admin, quiet, 1);
      const secret = await activate(quiet, iccid);
      const redis = new Redis(resources.env.REDIS_URL!);
      const onRedis: string[] = [];
      redis.on('pmessage', (_pattern: string, channel: string) => onRedis.push(channel));
      await redis.psubscribe('$simfleet/accounts/*');
      try {
        const device = await connectClient(brokerA.mqttUrl, iccid, secret);
        opened.push(device);
        await device.publishAsync(`things/${iccid}/sessions`, JSON.stringify(session('quiet-1', 10)), { qos: 1 });
        await eventually(async () => ((await usageSessions(quiet, iccid)) === 1 ? true : undefined));
        expect(onRedis.filter((channel) => channel.includes(quiet.accountId))).toEqual([]);

        const key = (await admin.post(`/v1/accounts/${quiet.accountId}/api-keys`, { name: 'late backend', scopes: ['mqtt'] })).body.key;
        const integration = await connectClient(brokerB.mqttUrl, quiet.accountId, key, { clientId: 'integration-quiet' });
        opened.push(integration);
        const { messages, granted } = await collect(integration, ['things/+/sessions']);
        expect(granted).toEqual([1]);
        await device.publishAsync(`things/${iccid}/sessions`, JSON.stringify(session('quiet-2', 11)), { qos: 1 });
        await waitFor(() => (messages.length >= 1 ? true : undefined));
        expect(messages.map((m) => m.json)).toEqual([session('quiet-2', 11)]);
        expect(onRedis).toContain(`$simfleet/accounts/${quiet.accountId}/things/${iccid}/sessions`);
        await eventually(async () => ((await usageSessions(quiet, iccid)) === 2 ? true : undefined));
      } finally {
        await redis.quit();
      }
    });

    it('runs the connectivity test and reset from the API process to a device held by broker B', async () => {
      const iccid = sims[1];
      const device = await connectClient(brokerB.mqttUrl, iccid, secrets.get(iccid)!, { clientId: `dev-${iccid}` });
      opened.push(device);
      await collect(device, [`things/${iccid}/commands`]);
      device.on('message', (_topic, payload) => {
        const { correlationId } = JSON.parse(payload.toString()) as { correlationId: string };
        void device.publishAsync(`things/${iccid}/status`, JSON.stringify({ imei: '490154203237518', at: new Date().toISOString(), correlationId }), {
          qos: 1,
        });
      });
      const connections = core.platform.app.get(SimConnectionRepository);
      const state = await eventually(async () => {
        const s = await connections.connectionState(iccid);
        return s.online ? s : undefined;
      });
      expect(state.brokerId).toBe('broker-b');
      const ping = await account.api.post(`/v1/sims/${iccid}/connectivity-test`, {});
      expect(ping.body).toMatchObject({ iccid, result: 'answered', roundTripMs: expect.any(Number) });
      expect((await account.api.post(`/v1/sims/${iccid}/reset-connectivity`)).body).toEqual({ iccid, result: 'disconnected' });
      await eventually(async () =>
        (await connections.connectionState(iccid)).lastDisconnectReason === 'kicked_connectivity_reset' ? true : undefined,
      );
      expect((await account.api.post(`/v1/sims/${iccid}/connectivity-test`, { timeoutMs: 300 })).body).toEqual({ iccid, result: 'offline' });
    });

    it('kicks a device from whichever broker holds it when its SIM is suspended through the API', async () => {
      const iccid = sims[2];
      const device = await connectClient(brokerA.mqttUrl, iccid, secrets.get(iccid)!);
      opened.push(device);
      const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
      const connections = core.platform.app.get(SimConnectionRepository);
      await eventually(async () => ((await connections.connectionState(iccid)).online ? true : undefined));
      expect((await account.api.post(`/v1/sims/${iccid}/suspend`)).status).toBe(200);
      await closed;
      await eventually(async () => ((await connections.connectionState(iccid)).lastDisconnectReason === 'kicked_suspended' ? true : undefined));
    });
  });

  describe('a broker killed (SIGKILL) and restarted', () => {
    let resources: ShapeResources;
    let core: TestPlatform;
    let build: { dir: string; remove(): void };
    let broker: Awaited<ReturnType<typeof startBrokerProcess>> | undefined;

    beforeAll(async () => {
      resources = await provisionShape('servers');
      core = await startTestPlatform(resources.env, ['api', 'worker']);
      build = buildPlatform();
    }, 120_000);

    afterAll(async () => {
      if (broker) await kill9(broker.child);
      await core?.stop();
      await resources?.release();
      build?.remove();
    });

    it('loses no acknowledged record, counts each once, and closes the connections it left open', async () => {
      const admin = new ApiClient(core.url, ADMIN_KEY);
      const account = await createAccount(admin, 'Kill test');
      const [iccid] = await orderSims(admin, account, 1);
      const secret = await activate(account, iccid);
      const port = await freePort();
      const env = {
        ...core.env,
        PORT: '0',
        MQTT_WS_PORT: '0',
        LOG_LEVEL: 'warn',
        MQTT_BROKER_ID: 'broker-killed',
        MQTT_MAX_MESSAGES_PER_SECOND: '10000',
      };
      broker = await startBrokerProcess(build.dir, env, port);

      const device = await connectClient(`mqtt://127.0.0.1:${port}`, iccid, secret, { clientId: `dev-${iccid}`, clean: false, reconnectPeriod: 250 });
      const total = 300;
      const acked = new Set<number>();
      for (let i = 0; i < total; i++) {
        device.publish(`things/${iccid}/sessions`, JSON.stringify(session(`k-${i}`, i)), { qos: 1 }, (error) => {
          if (!error) acked.add(i);
        });
        if (i === 100) {
          await waitFor(() => (acked.size >= 50 ? true : undefined), 30_000);
          // The killed broker's connection is in the log (a change made in the last instant before a crash can be lost).
          await eventually(async () => ((await core.platform.app.get(SimConnectionRepository).connectionState(iccid)).online ? true : undefined));
          await kill9(broker.child);
          broker = await startBrokerProcess(build.dir, env, port);
        }
      }
      // mqtt.js resends every unacknowledged message once it reconnects to the restarted broker.
      await waitFor(() => (acked.size === total ? true : undefined), 120_000);
      device.end(true);
      const stored = await eventually(async () => {
        const n = await usageSessions(account, iccid);
        return n === total ? n : undefined;
      }, 120_000);
      expect(stored).toBe(total);
      const disconnected = await eventually(async () => {
        const res = await account.api.get(`/v1/events?type=sim.disconnected&subject=${iccid}&limit=50`);
        const reasons = (res.body.data as Array<{ data: { reason: string } }>).map((e) => e.data.reason);
        return reasons.includes('broker_restarted') ? reasons : undefined;
      }, 30_000).catch(async (error: unknown) => {
        const rows = await core.platform.app.get(Database).query('select * from sim_connections where iccid = $1 order by connected_at', [iccid]);
        throw new Error(`${String(error)}; connections: ${JSON.stringify(rows)}; broker output: ${broker?.output()}`);
      });
      expect(disconnected).toContain('broker_restarted');
    }, 360_000);
  });

  describe('InfluxDB stopped during ingestion', () => {
    let resources: ShapeResources;
    let influx: ServerHandle;
    let platform: TestPlatform;

    beforeAll(async () => {
      resources = await provisionShape('servers');
      influx = await startInflux();
      platform = await startTestPlatform({ ...resources.env, INFLUX_URL: influx.url, INFLUX_DATABASE: 'outage' });
    }, 120_000);

    afterAll(async () => {
      await platform?.stop();
      await influx?.destroy();
      await resources?.release();
    });

    const influxCount = async (iccid: string): Promise<number> => {
      const res = (await influxQuery(influx.url, `SELECT count(bytes_up) FROM data_session WHERE iccid = '${iccid}'`, 'outage')) as {
        results?: Array<{ series?: Array<{ values: number[][] }> }>;
      };
      return res.results?.[0]?.series?.[0]?.values[0][1] ?? 0;
    };

    it('acknowledges while InfluxDB is down and writes everything once it is back', async () => {
      const admin = new ApiClient(platform.url, ADMIN_KEY);
      const account = await createAccount(admin, 'Outage');
      const [iccid] = await orderSims(admin, account, 1);
      const secret = await activate(account, iccid);
      const device = await connectClient(platform.mqttUrl, iccid, secret);
      for (let i = 0; i < 20; i++) await device.publishAsync(`things/${iccid}/sessions`, JSON.stringify(session(`before-${i}`, i)), { qos: 1 });
      await eventually(async () => ((await influxCount(iccid)) === 20 ? true : undefined), 30_000);

      await influx.stop();
      // Still acknowledged: the records are durably queued; the worker retries with backoff.
      for (let i = 20; i < 50; i++) await device.publishAsync(`things/${iccid}/sessions`, JSON.stringify(session(`during-${i}`, i)), { qos: 1 });
      await eventually(async () => {
        const metrics = (await new ApiClient(platform.url).get('/metrics')).body as string;
        return /simfleet_job_failures_total\{job="telemetry.ingest",final="false"\} [1-9]/.test(metrics) ? true : undefined;
      }, 30_000);
      await influx.start();
      await eventually(async () => ((await influxCount(iccid)) === 50 ? true : undefined), 90_000, 500);
      expect(await usageSessions(account, iccid)).toBe(50);
      const dead = await admin.get('/v1/admin/dead-letters');
      expect(dead.body.data).toEqual([]);
      await device.endAsync();
    }, 180_000);

    it('dead-letters a record InfluxDB can never take, and stores the other records of its batch', async () => {
      const admin = new ApiClient(platform.url, ADMIN_KEY);
      const account = await createAccount(admin, 'Poison');
      const [iccid] = await orderSims(admin, account, 1);
      const secret = await activate(account, iccid);
      // Another writer made cell_id an integer field in this shard: our string cell_id can never be written there.
      const seeded = await fetch(`${influx.url}/write?db=outage&precision=ms`, {
        method: 'POST',
        body: `data_session,iccid=seed cell_id=5i ${DAY_START.getTime()}`,
      });
      expect(seeded.status).toBe(204);
      const device = await connectClient(platform.mqttUrl, iccid, secret);
      await device.publishAsync(
        `things/${iccid}/sessions`,
        JSON.stringify([session('ok-1', 100), { ...session('poison', 101), cellId: 'A1' }, session('ok-2', 102)]),
        { qos: 1 },
      );
      await device.endAsync();
      const dead = await eventually(async () => {
        const res = await admin.get('/v1/admin/dead-letters?limit=100');
        return (
          res.body.data as Array<{ jobName: string; error: string; payload: { records: Array<{ iccid: string; record: { sessionId: string } }> } }>
        ).find((d) => d.payload.records.some((r) => r.iccid === iccid));
      }, 30_000);
      expect(dead.jobName).toBe('telemetry.ingest');
      expect(dead.error).toContain('field type conflict');
      expect(dead.payload.records.map((r) => r.record.sessionId)).toEqual(['poison']);
      await eventually(async () => ((await usageSessions(account, iccid)) === 2 ? true : undefined), 30_000);
      expect(await influxCount(iccid)).toBe(2);
    }, 120_000);
  });
});
