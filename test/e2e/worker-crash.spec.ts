import type { ChildProcess } from 'node:child_process';
import { Queue, type Job } from 'bullmq';
import type { MqttClient } from 'mqtt';
import { Database } from '@simfleet/persistence';
import { influxQuery, requireServers } from '../harness/isolation.js';
import { startInflux, type ServerHandle } from '../harness/servers.js';
import { buildPlatform, kill9 } from './support/broker-process.js';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { connectClient } from './support/mqtt.js';
import { ADMIN_KEY, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { startRoleProcess } from './support/role-process.js';

const HOUR = 3_600_000;
const START = new Date(Date.now() - 2 * HOUR);
const session = (sessionId: string, i: number, extra: Record<string, unknown> = {}) => ({
  sessionId,
  startedAt: new Date(START.getTime() + i * 1000).toISOString(),
  endedAt: null,
  bytesUp: 100 + i,
  bytesDown: 1000 + i,
  mcc: '262',
  mnc: '01',
  rat: '4G',
  ...extra,
});

// The drill of issue #10 (durability 6): a worker killed twice during the same job, InfluxDB paused so that
// the job stays active. Real processes: the worker a child process killed with SIGKILL, InfluxDB stopped
// with SIGSTOP; the api and the broker run in the test process.
requireServers(
  'postgres',
  'redis',
  'influx',
)('a crash-looping worker (servers shape)', () => {
  let resources: ShapeResources;
  let influx: ServerHandle;
  let core: TestPlatform;
  let build: { dir: string; remove(): void };
  let workerEnv: Record<string, string>;
  let worker: { child: ChildProcess; output: () => string } | undefined;
  let queue: Queue;
  let admin: ApiClient;
  let account: ProvisionedAccount;
  let iccid: string;
  let device: MqttClient;
  const influxDb = 'drill';

  const paused = () => process.kill(influx.pid!, 'SIGSTOP');
  const resumed = () => process.kill(influx.pid!, 'SIGCONT');
  const startWorker = async () => (worker = await startRoleProcess(build.dir, 'worker', workerEnv));

  beforeAll(async () => {
    resources = await provisionShape('servers');
    influx = await startInflux();
    // A worker's claim on a job lapses 2 s after it died (30 s by default), so the drill takes seconds.
    const env: Record<string, string> = { ...resources.env, INFLUX_URL: influx.url, INFLUX_DATABASE: influxDb, JOB_STALL_TIMEOUT: '2s' };
    core = await startTestPlatform(env, ['api', 'broker']);
    workerEnv = { ...core.env, LOG_LEVEL: 'warn' };
    build = buildPlatform();
    await startWorker();
    queue = new Queue('telemetry.ingest', { connection: { url: env.REDIS_URL }, prefix: env.REDIS_PREFIX });
    admin = new ApiClient(core.url, ADMIN_KEY);
    account = await createAccount(admin, 'Crash loop');
    [iccid] = await orderSims(admin, account, 1);
    device = await connectClient(core.mqttUrl, iccid, await activate(account, iccid));
  }, 180_000);

  afterAll(async () => {
    if (influx?.pid) resumed();
    await device?.endAsync();
    if (worker) await kill9(worker.child);
    await queue?.close();
    await core?.stop();
    await influx?.destroy();
    await resources?.release();
    build?.remove();
  });

  const ledgerSessions = async (): Promise<Array<{ session_id: string; bytes_up: number }>> =>
    core.platform.app.get(Database).query('select session_id, bytes_up from usage_ledger where iccid = $1 order by session_id', [iccid]) as Promise<
      Array<{ session_id: string; bytes_up: number }>
    >;
  const influxSessions = async (): Promise<string[]> => {
    const res = await influxQuery(influx.url, `SELECT session_id FROM data_session WHERE iccid = '${iccid}'`, influxDb);
    return ((res.results?.[0]?.series?.[0]?.values ?? []) as Array<[string, string]>).map(([, id]) => id).sort();
  };
  /** The telemetry job in progress, once a worker run of it has started `runs` times in all. */
  const activeJob = (runs: number) =>
    eventually(
      async () => {
        const [job] = (await queue.getActive()) as Job[];
        return job && job.attemptsStarted >= runs ? job : undefined;
      },
      60_000,
      100,
    );

  it('retries the job its worker died in twice, and ends with every acknowledged record once in both stores', async () => {
    await device.publishAsync(`things/${iccid}/sessions`, JSON.stringify(session('before', 0)), { qos: 1 });
    await eventually(async () => ((await influxSessions()).length === 1 ? true : undefined), 30_000);

    paused();
    // Nine records, acknowledged: durably queued as one job.
    const records = Array.from({ length: 9 }, (_, i) => session(`drill-${i}`, i + 1));
    await device.publishAsync(`things/${iccid}/sessions`, JSON.stringify(records), { qos: 1 });

    // The job runs, its InfluxDB write hangs; the worker dies. Twice.
    const first = await activeJob(1);
    await kill9(worker!.child);
    await startWorker();
    const second = await activeJob(2);
    expect(second.id).toBe(first.id);
    await kill9(worker!.child);
    await startWorker();
    const third = await activeJob(3);
    expect(third.id).toBe(first.id);
    // BullMQ counts the deaths as stalls, not as failures: the job is still in its 40 attempts, not failed.
    expect(third.stalledCounter).toBe(2);
    expect(await queue.getFailedCount()).toBe(0);

    resumed();
    const expected = ['before', ...records.map((r) => r.sessionId)].sort();
    await eventually(async () => ((await ledgerSessions()).length === 10 ? true : undefined), 60_000, 200);
    await eventually(async () => ((await influxSessions()).length === 10 ? true : undefined), 30_000, 200);
    expect((await ledgerSessions()).map((r) => r.session_id)).toEqual(expected);
    // Each session once in InfluxDB, whatever the killed runs' writes did when InfluxDB woke up.
    expect(await influxSessions()).toEqual(expected);
    const usage = await account.api.get(
      `/v1/sims/${iccid}/usage?from=${new Date(START.getTime() - HOUR).toISOString()}&to=${new Date().toISOString()}&interval=day`,
    );
    expect(usage.body.totals).toEqual({
      bytesUp: 100 + records.reduce((sum, r) => sum + r.bytesUp, 0),
      bytesDown: 1000 + records.reduce((sum, r) => sum + r.bytesDown, 0),
      bytesTotal: 1100 + records.reduce((sum, r) => sum + r.bytesUp + r.bytesDown, 0),
      sessions: 10,
    });
    expect((await admin.get('/v1/admin/dead-letters')).body.data).toEqual([]);
    // One session.started per session: the killed runs' events rolled back with their transactions.
    const started = await account.api.get(`/v1/events?type=session.started&subject=${iccid}&limit=50`);
    expect(started.body.data).toHaveLength(10);
  }, 240_000);

  it('replays a dead letter once its cause is fixed, idempotently', async () => {
    // Another writer made cell_id an integer field in the shard of an old day: a string cell_id can never be written there.
    const old = new Date(Date.now() - 200 * 24 * HOUR);
    const seeded = await fetch(`${influx.url}/write?db=${influxDb}&precision=ms`, {
      method: 'POST',
      body: `data_session,iccid=seed cell_id=5i ${old.getTime()}`,
    });
    expect(seeded.status).toBe(204);
    const poisoned = { ...session('late', 0), startedAt: new Date(old.getTime() + 1000).toISOString(), cellId: 'A1' };
    await device.publishAsync(`things/${iccid}/sessions`, JSON.stringify(poisoned), { qos: 1 });
    const dead = await eventually(async () => {
      const res = await admin.get('/v1/admin/dead-letters');
      return (res.body.data as Array<{ id: string; error: string; replayedAt: string | null }>).find((d) => d.error.includes('field type conflict'));
    }, 30_000);
    expect(dead.replayedAt).toBeNull();
    expect((await ledgerSessions()).map((r) => r.session_id)).not.toContain('late');

    // The operator drops the old shard holding the conflicting field (InfluxDB keeps a field's type per shard), then replays.
    const shards = await influxQuery(influx.url, 'SHOW SHARDS');
    const shard = (shards.results?.[0]?.series ?? [])
      .find((series) => series.name === influxDb)!
      .values.find(([, , , , start, end]) => Date.parse(String(start)) <= old.getTime() && old.getTime() < Date.parse(String(end)))!;
    await influxQuery(influx.url, `DROP SHARD ${String(shard[0])}`);
    const replay = await admin.post(`/v1/admin/dead-letters/${dead.id}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ id: dead.id, jobName: 'telemetry.ingest', replayJobId: `replay-${dead.id}`, replayedAt: expect.any(String) });
    const again = await admin.post(`/v1/admin/dead-letters/${dead.id}/replay`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(replay.body);

    await eventually(async () => ((await ledgerSessions()).some((r) => r.session_id === 'late') ? true : undefined), 30_000, 200);
    await eventually(async () => ((await influxSessions()).includes('late') ? true : undefined), 30_000, 200);
    expect((await influxSessions()).filter((id) => id === 'late')).toHaveLength(1);
    const listed = await admin.get('/v1/admin/dead-letters');
    expect(listed.body.data).toEqual([expect.objectContaining({ id: dead.id, replayedAt: replay.body.replayedAt })]);

    expect((await admin.post('/v1/admin/dead-letters/dl_unknown/replay')).status).toBe(404);
    expect((await account.api.post(`/v1/admin/dead-letters/${dead.id}/replay`)).status).toBe(403);
  }, 120_000);
});
