/**
 * Ingestion benchmark (docs/benchmarks.md). The same QoS 1 load of data-session records from N devices
 * goes (a) through Mosquitto to one subscriber — the reference — and (b) through our broker into the
 * whole pipeline (BullMQ → worker → InfluxDB + usage ledger in PostgreSQL), until every record is stored.
 * Then (c) a paced load (default 10,000 records/s) measures publish-to-stored latency.
 *
 *   npm run bench:ingest [-- --devices 200 --messages 250 --window 64 --paced-rate 10000 --paced-seconds 10]
 *                        [--database-url URL --redis-url URL --influx-url URL] [--profile DIR]
 *
 * Without the URLs it starts PostgreSQL, Redis and InfluxDB from the Debian binaries (scripts/lib/servers.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { FleetApi, createAccount, inParallel, provisionDevices, type Device } from './lib/fleet-api.js';
import { cpuPerRecord, cpuSnapshot } from './lib/cpu-meter.js';
import { freePort, startInflux, startPostgres, startRedis, stopAllServers } from './lib/servers.js';

const HELP = `Usage: npm run bench:ingest -- [options]
  --devices N        devices publishing at once (default 200)
  --messages M       records each device publishes in the throughput runs (default 250)
  --window W         unacknowledged QoS 1 publishes per device (default 64)
  --paced-rate R     records/s of the latency run (default 10000; 0 skips it)
  --paced-seconds S  length of the latency run (default 10)
  --database-url, --redis-url, --influx-url   use running servers instead of starting them
  --workers N        worker processes (default 1)
  --profile DIR      run the broker and the worker with node --cpu-prof, profiles in DIR
  --help
`;

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '200' },
    messages: { type: 'string', default: '250' },
    window: { type: 'string', default: '64' },
    'paced-rate': { type: 'string', default: '10000' },
    'paced-seconds': { type: 'string', default: '10' },
    'database-url': { type: 'string' },
    'redis-url': { type: 'string' },
    'influx-url': { type: 'string' },
    workers: { type: 'string', default: '1' },
    profile: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const DEVICES = Number(values.devices);
const MESSAGES = Number(values.messages);
const WINDOW = Number(values.window);
const PACED_RATE = Number(values['paced-rate']);
const PACED_SECONDS = Number(values['paced-seconds']);
const WORKERS = Number(values.workers);
const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'simfleet-bench-'));
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const children: ChildProcess[] = [];

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN);

// ---------------------------------------------------------------------------------------------
// Load: every device publishes its records at QoS 1 with at most `window` unacknowledged.

interface LoadResult {
  records: number;
  firstPublishAt: number;
  lastAckAt: number;
}

// Each device's starts are kept strictly increasing, as they were when InfluxDB merged two sessions of one SIM
// starting in the same millisecond (no longer: docs/ingestion.md): the load stays the one of the figures.
const lastStart = new Map<number, number>();

/** A data-session record whose start is its publish time: the pipeline's latency is stored minus started. */
const record = (run: string, device: number, seq: number, now: number) => {
  const start = Math.max(now, (lastStart.get(device) ?? 0) + 1);
  lastStart.set(device, start);
  const at = new Date(start).toISOString();
  return JSON.stringify({
    sessionId: `${run}-${device}-${seq}`,
    startedAt: at,
    endedAt: at,
    bytesUp: seq + 1,
    bytesDown: 2 * (seq + 1),
    mcc: '208',
    mnc: '01',
    rat: 'LTE-M',
  });
};

function publishOne(client: MqttClient, topic: string, payload: string): Promise<void> {
  return new Promise((resolveAck, reject) => client.publish(topic, payload, { qos: 1 }, (error) => (error ? reject(error) : resolveAck())));
}

/** As fast as the broker acknowledges. */
async function burst(clients: MqttClient[], topics: string[], run: string, perDevice: number): Promise<LoadResult> {
  const firstPublishAt = Date.now();
  await Promise.all(
    clients.map(async (client, device) => {
      let seq = 0;
      await Promise.all(
        Array.from({ length: Math.min(WINDOW, perDevice) }, async () => {
          while (seq < perDevice) {
            const mine = seq++;
            await publishOne(client, topics[device], record(run, device, mine, Date.now()));
          }
        }),
      );
    }),
  );
  return { records: clients.length * perDevice, firstPublishAt, lastAckAt: Date.now() };
}

/** At a steady total rate, spread over the devices, for `seconds`. Acknowledgements are counted, not awaited one by one: the generator shares the machine with what it measures. */
async function paced(clients: MqttClient[], topics: string[], run: string, rate: number, seconds: number): Promise<LoadResult> {
  const firstPublishAt = Date.now();
  const total = Math.round(rate * seconds);
  let acknowledged = 0;
  let failure: Error | undefined;
  let allAcknowledged!: () => void;
  const done = new Promise<void>((resolveDone) => (allAcknowledged = resolveDone));
  const onAck = (error?: Error) => {
    if (error) failure ??= error;
    if (++acknowledged === total) allAcknowledged();
  };
  let sent = 0;
  while (sent < total) {
    const now = Date.now();
    const due = Math.min(total, Math.floor(((now - firstPublishAt) / 1000) * rate));
    for (; sent < due; sent++) {
      const device = sent % clients.length;
      clients[device].publish(topics[device], record(run, device, Math.floor(sent / clients.length), now), { qos: 1 }, onAck);
    }
    await sleep(2);
  }
  await done;
  if (failure) throw failure;
  return { records: total, firstPublishAt, lastAckAt: Date.now() };
}

async function connectAll(url: string, devices: Array<{ username?: string; password?: string; clientId: string }>): Promise<MqttClient[]> {
  return inParallel(devices, 16, (d) => mqtt.connectAsync(url, { ...d, reconnectPeriod: 0, connectTimeout: 30_000, clean: true }));
}

// ---------------------------------------------------------------------------------------------
// (a) Mosquitto forwarding to one subscriber

async function mosquittoReference(): Promise<{ rate: number; p50: number; p99: number; received: number; duplicates: number; missing: number }> {
  const port = await freePort();
  const conf = join(work, 'mosquitto.conf');
  // Unlimited inflight and queue: the reference must not drop QoS 1 messages to its subscriber.
  writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 0\nmax_queued_messages 0\nlog_dest stderr\nlog_type error\n`,
  );
  const broker = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', openSync(join(work, 'mosquitto.log'), 'a')] });
  children.push(broker);
  const url = `mqtt://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await (await mqtt.connectAsync(url, { reconnectPeriod: 0 })).endAsync();
      break;
    } catch (error) {
      if (i > 100) throw new Error(`mosquitto did not start: ${String(error)}`, { cause: error });
      await sleep(100);
    }
  }
  const expected = DEVICES * MESSAGES;
  const seen = new Set<string>();
  const latencies: number[] = [];
  let duplicates = 0;
  let lastReceivedAt = 0;
  const subscriber = await mqtt.connectAsync(url, { clientId: 'reference-subscriber', reconnectPeriod: 0 });
  await subscriber.subscribeAsync('things/+/sessions', { qos: 1 });
  let allReceived: () => void = () => undefined;
  const done = new Promise<void>((r) => (allReceived = r));
  subscriber.on('message', (_topic, payload) => {
    const now = Date.now();
    const { sessionId, startedAt } = JSON.parse(payload.toString('utf8')) as { sessionId: string; startedAt: string };
    if (seen.has(sessionId)) duplicates++;
    seen.add(sessionId);
    latencies.push(now - Date.parse(startedAt));
    lastReceivedAt = now;
    if (seen.size === expected) allReceived();
  });
  const clients = await connectAll(
    url,
    Array.from({ length: DEVICES }, (_, i) => ({ clientId: `ref-${i}` })),
  );
  const topics = clients.map((_, i) => `things/89000000000000${String(i).padStart(5, '0')}/sessions`);
  const load = await burst(clients, topics, 'ref', MESSAGES);
  await Promise.race([done, sleep(60_000)]);
  await Promise.all([...clients, subscriber].map((c) => c.endAsync()));
  broker.kill('SIGTERM');
  latencies.sort((x, y) => x - y);
  return {
    rate: seen.size / ((lastReceivedAt - load.firstPublishAt) / 1000),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    received: seen.size,
    duplicates,
    missing: expected - seen.size,
  };
}

// ---------------------------------------------------------------------------------------------
// (b) our platform: api, broker and worker processes on PostgreSQL, Redis and InfluxDB

interface Backends {
  databaseUrl: string;
  redisUrl: string;
  influxUrl: string;
}

async function backends(): Promise<Backends> {
  const [postgres, redis, influx] = await Promise.all([
    values['database-url'] ? null : startPostgres(),
    values['redis-url'] ? null : startRedis(),
    values['influx-url'] ? null : startInflux(),
  ]);
  const baseDb = values['database-url'] ?? postgres!.url;
  // A database of its own, so the figures never mix with other data.
  const database = `bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseDb });
  await admin.connect();
  await admin.query(`create database ${database}`);
  await admin.end();
  const databaseUrl = new URL(baseDb);
  databaseUrl.pathname = `/${database}`;
  return { databaseUrl: databaseUrl.toString(), redisUrl: values['redis-url'] ?? redis!.url, influxUrl: values['influx-url'] ?? influx!.url };
}

async function startRole(role: 'api' | 'broker' | 'worker', env: Record<string, string>, name: string = role): Promise<void> {
  // As `npm run start:*` and the Docker image run them.
  const args = [
    '--max-semi-space-size=32',
    ...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${resolve(values.profile)}`, '--cpu-prof-name', `${name}.cpuprofile`] : []),
  ];
  if (values.profile) mkdirSync(resolve(values.profile), { recursive: true });
  const out = openSync(join(work, `${name}.log`), 'a');
  const child = spawn(process.execPath, [...args, join(DIST, `apps/${role}/src/main.js`)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out],
  });
  children.push(child);
  const url = `http://127.0.0.1:${env.PORT}/health`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited with ${child.exitCode}:\n${readFileSync(join(work, `${name}.log`), 'utf8').slice(-3000)}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (i > 600) throw new Error(`${name} did not become healthy in 60 s`);
    await sleep(100);
  }
}

interface StoredFigures {
  stored: number;
  bytesUp: number;
  bytesDown: number;
  influxPoints: number;
  influxBytesUp: number;
  rate: number;
  p50: number;
  p99: number;
}

async function influxCount(influxUrl: string, database: string, run: string): Promise<{ points: number; bytesUp: number }> {
  const url = new URL('/query', influxUrl);
  url.searchParams.set('db', database);
  url.searchParams.set('q', `SELECT count(bytes_up), sum(bytes_up) FROM data_session WHERE session_id =~ /^${run}-/`);
  const body = (await (await fetch(url)).json()) as { results: Array<{ series?: Array<{ values: Array<[string, number, number]> }> }> };
  const row = body.results[0]?.series?.[0]?.values[0];
  return { points: row ? Number(row[1]) : 0, bytesUp: row ? Number(row[2]) : 0 };
}

/** Waits until every record of the run is in the ledger and InfluxDB, then reads rate and latency from the ledger. */
async function waitStored(db: pg.Client, influxUrl: string, influxDb: string, run: string, load: LoadResult): Promise<StoredFigures> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const [{ n }] = (await db.query(`select count(*)::int as n from usage_ledger where session_id like $1`, [`${run}-%`])).rows as Array<{
      n: number;
    }>;
    const influx = n >= load.records ? await influxCount(influxUrl, influxDb, run) : { points: 0, bytesUp: 0 };
    if ((n >= load.records && influx.points >= load.records) || Date.now() > deadline) break;
    await sleep(200);
  }
  const influx = await influxCount(influxUrl, influxDb, run);
  // Stored = committed: the commit time of the row's transaction, which also wrote InfluxDB. Without
  // track_commit_timestamp (a server given with --database-url), the row's write time inside that transaction.
  const [{ track_commit_timestamp: tracked }] = (await db.query('show track_commit_timestamp')).rows as Array<{ track_commit_timestamp: string }>;
  const storedAt = tracked === 'on' ? 'pg_xact_commit_timestamp(xmin)' : 'updated_at';
  const [row] = (
    await db.query(
      `select count(*)::int as stored, coalesce(sum(bytes_up), 0)::bigint as up, coalesce(sum(bytes_down), 0)::bigint as down,
              extract(epoch from max(${storedAt})) * 1000 as last_ms,
              percentile_disc(0.5) within group (order by extract(epoch from ${storedAt} - started_at) * 1000) as p50,
              percentile_disc(0.99) within group (order by extract(epoch from ${storedAt} - started_at) * 1000) as p99
         from usage_ledger where session_id like $1`,
      [`${run}-%`],
    )
  ).rows as Array<{ stored: number; up: string; down: string; last_ms: number; p50: number; p99: number }>;
  return {
    stored: row.stored,
    bytesUp: Number(row.up),
    bytesDown: Number(row.down),
    influxPoints: influx.points,
    influxBytesUp: influx.bytesUp,
    rate: row.stored / ((Number(row.last_ms) - load.firstPublishAt) / 1000),
    p50: Number(row.p50),
    p99: Number(row.p99),
  };
}

/** Exactly once: every session once in the ledger and once in InfluxDB, with the counters summed right. */
function exactlyOnce(figures: StoredFigures, devices: number, perDevice: number): string {
  const records = devices * perDevice;
  const up = (devices * perDevice * (perDevice + 1)) / 2;
  const ok =
    figures.stored === records &&
    figures.influxPoints === records &&
    figures.bytesUp === up &&
    figures.bytesDown === 2 * up &&
    figures.influxBytesUp === up;
  return `${ok ? 'OK' : 'FAILED'} (ledger ${figures.stored}/${records} rows, bytesUp ${figures.bytesUp}/${up}; InfluxDB ${figures.influxPoints}/${records} points, bytesUp ${figures.influxBytesUp}/${up})`;
}

function exactlyOncePaced(figures: StoredFigures, records: number): string {
  const ok = figures.stored === records && figures.influxPoints === records;
  return `${ok ? 'OK' : 'FAILED'} (ledger ${figures.stored}/${records}, InfluxDB ${figures.influxPoints}/${records})`;
}

async function main(): Promise<void> {
  log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}; work dir ${work}`,
  );
  log(`load: ${DEVICES} devices × ${MESSAGES} records, QoS 1, window ${WINDOW} per device`);

  log('(a) Mosquitto → 1 subscriber …');
  const reference = await mosquittoReference();
  log(
    `    ${reference.rate.toFixed(0)} records/s, p50 ${reference.p50} ms, p99 ${reference.p99} ms, exactly once: ${reference.missing === 0 && reference.duplicates === 0 ? 'OK' : 'FAILED'} (${reference.received} received, ${reference.duplicates} duplicates)`,
  );

  log('starting PostgreSQL, Redis and InfluxDB …');
  const servers = await backends();
  const adminKey = `bench-admin-${randomBytes(16).toString('hex')}`;
  const influxDatabase = `bench_${randomBytes(4).toString('hex')}`;
  const [apiPort, brokerPort, workerPort, mqttPort, wsPort, wsPort2, wsPort3] = await Promise.all(Array.from({ length: 7 }, () => freePort()));
  const env = {
    DATABASE_URL: servers.databaseUrl,
    REDIS_URL: servers.redisUrl,
    REDIS_PREFIX: `bench-${randomBytes(3).toString('hex')}`,
    INFLUX_URL: servers.influxUrl,
    INFLUX_DATABASE: influxDatabase,
    ADMIN_API_KEY: adminKey,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // The per-device limit protects the platform from one device; here each device publishes far above it on purpose.
    MQTT_MAX_MESSAGES_PER_SECOND: '1000000',
    RATE_LIMIT_PER_MINUTE: '100000',
  };
  log(`starting api, broker and ${WORKERS} worker process${WORKERS > 1 ? 'es' : ''} …`);
  await startRole('api', { ...env, PORT: String(apiPort), MQTT_PORT: String(await freePort()), MQTT_WS_PORT: String(wsPort2) });
  await Promise.all([
    startRole('broker', { ...env, PORT: String(brokerPort), MQTT_PORT: String(mqttPort), MQTT_WS_PORT: String(wsPort) }),
    startRole('worker', { ...env, PORT: String(workerPort), MQTT_PORT: String(await freePort()), MQTT_WS_PORT: String(wsPort3) }),
    ...Array.from({ length: WORKERS - 1 }, async (_, i) =>
      startRole(
        'worker',
        { ...env, PORT: String(await freePort()), MQTT_PORT: String(await freePort()), MQTT_WS_PORT: String(await freePort()) },
        `worker-${i + 2}`,
      ),
    ),
  ]);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const admin = new FleetApi(apiUrl, adminKey);
  const account = await createAccount(admin, 'Benchmark fleet');
  const devices: Device[] = await provisionDevices(new FleetApi(apiUrl, account.key), admin, DEVICES, [], (line) => log(`    ${line}`));
  const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
  const clients = await connectAll(
    mqttUrl,
    devices.map((d) => ({ username: d.iccid, password: d.secret, clientId: `bench-${d.iccid}` })),
  );
  const topics = devices.map((d) => `things/${d.iccid}/sessions`);
  const db = new pg.Client({ connectionString: servers.databaseUrl });
  await db.connect();

  // A short warm-up (JIT, connection pools, InfluxDB shard creation) that the figures leave out.
  await burst(clients, topics, 'warm', 10);
  await waitStored(db, servers.influxUrl, influxDatabase, 'warm', { records: DEVICES * 10, firstPublishAt: Date.now(), lastAckAt: Date.now() });

  log('(b) our broker → BullMQ → worker → InfluxDB + ledger …');
  const cpuBefore = cpuSnapshot();
  const load = await burst(clients, topics, 'max', MESSAGES);
  const acked = load.records / ((load.lastAckAt - load.firstPublishAt) / 1000);
  const ours = await waitStored(db, servers.influxUrl, influxDatabase, 'max', load);
  const cpu = cpuPerRecord(cpuBefore, cpuSnapshot(), load.records);
  log(
    `    ${ours.rate.toFixed(0)} records/s stored end to end (publishes acknowledged at ${acked.toFixed(0)}/s), p50 ${ours.p50.toFixed(0)} ms, p99 ${ours.p99.toFixed(0)} ms`,
  );
  log(`    exactly once: ${exactlyOnce(ours, DEVICES, MESSAGES)}`);

  let pacedFigures: StoredFigures | null = null;
  let pacedCpu: ReturnType<typeof cpuPerRecord> | null = null;
  if (PACED_RATE > 0) {
    log(`(c) paced: ${PACED_RATE} records/s for ${PACED_SECONDS} s …`);
    const pacedCpuBefore = cpuSnapshot();
    const pacedLoad = await paced(clients, topics, 'paced', PACED_RATE, PACED_SECONDS);
    pacedFigures = await waitStored(db, servers.influxUrl, influxDatabase, 'paced', pacedLoad);
    pacedCpu = cpuPerRecord(pacedCpuBefore, cpuSnapshot(), pacedLoad.records);
    log(
      `    p50 ${pacedFigures.p50.toFixed(0)} ms, p99 ${pacedFigures.p99.toFixed(0)} ms publish-to-stored; exactly once: ${exactlyOncePaced(pacedFigures, pacedLoad.records)}`,
    );
  }
  await Promise.all(clients.map((c) => c.endAsync()));
  await db.end();

  const ratio = ours.rate / reference.rate;
  log('');
  log('| figure | value | target |');
  log('| --- | --- | --- |');
  log(`| Mosquitto → 1 subscriber (reference) | ${reference.rate.toFixed(0)} records/s (p50 ${reference.p50} ms, p99 ${reference.p99} ms) | |`);
  log(
    `| our pipeline, stored in InfluxDB and the ledger | ${ours.rate.toFixed(0)} records/s (p50 ${ours.p50.toFixed(0)} ms, p99 ${ours.p99.toFixed(0)} ms) | ≥ 25,000 records/s |`,
  );
  log(`| ratio to Mosquitto | ${ratio.toFixed(2)} | ≥ 0.35 |`);
  if (pacedFigures)
    log(
      `| p50 / p99 publish-to-stored at ${PACED_RATE} records/s | ${pacedFigures.p50.toFixed(0)} ms / ${pacedFigures.p99.toFixed(0)} ms | p99 ≤ 1 s |`,
    );
  log(
    `| exactly once | reference ${reference.missing === 0 && reference.duplicates === 0 ? 'OK' : 'FAILED'}; pipeline ${exactlyOnce(ours, DEVICES, MESSAGES).split(' ')[0]}${pacedFigures ? `; paced ${exactlyOncePaced(pacedFigures, Math.round(PACED_RATE * PACED_SECONDS)).split(' ')[0]}` : ''} | |`,
  );
  // Where the machine's CPU went, per record, from the first publish until every record was stored.
  const budget = (label: string, c: ReturnType<typeof cpuPerRecord>) =>
    log(
      `CPU per record, ${label}: ${c.roles.map(([role, us]) => `${role} ${us.toFixed(0)} µs`).join(', ')}; total ${c.total.toFixed(0)} µs → at most ${((c.cores * 1e6) / c.total).toFixed(0)} records/s on ${c.cores} cores`,
    );
  if (cpu.roles.length) {
    log('');
    budget('(b)', cpu);
    if (pacedCpu) budget('(c)', pacedCpu);
  }
  if (values.profile) log(`CPU profiles of the broker and the worker: ${resolve(values.profile)} (written when they exit)`);
}

async function cleanup(): Promise<void> {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())));
  await stopAllServers();
  rmSync(work, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench:ingest: ${signal}, stopping\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

main()
  .then(cleanup)
  .catch(async (error: unknown) => {
    process.stderr.write(`bench:ingest failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\nlogs in ${work}\n`);
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await stopAllServers();
    process.exit(1);
  });
