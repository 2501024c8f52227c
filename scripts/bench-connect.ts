/**
 * Reconnect-storm benchmark (issue 10, item 9): N devices connect to broker processes at once, as after a
 * broker restart, in the servers shape (PostgreSQL for the credentials, Redis for the sessions). Prints the
 * connections per second (first CONNECT to last CONNACK) and each broker's resident memory per open
 * connection, against their targets.
 *
 *   npm run bench:connect [-- --devices 10000,50000 --per-broker 16000 --in-flight 1000]
 *                         [--legacy-secrets] [--database-url URL --redis-url URL]
 *
 * A process may hold at most `ulimit -n` sockets (20,000 on the development machine): a run of more devices
 * than `--per-broker` spreads them over several broker processes sharing Redis, as a deployment would, and
 * over as many client processes. `--legacy-secrets` stores the secrets as earlier versions did (scrypt) to
 * show the cost the current form removes: the first storm verifies scrypt and upgrades each secret.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { scrypt as scryptCallback } from 'node:crypto';
import pg from 'pg';
import { hashDeviceSecret } from '@simfleet/auth';
import { freePort, startPostgres, startRedis, stopAllServers } from './lib/servers.js';

const TARGET_CONNECTIONS_PER_SECOND = 1_000;
const TARGET_KIB_PER_CONNECTION = 20;

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000,50000' },
    'per-broker': { type: 'string', default: '16000' },
    'in-flight': { type: 'string', default: '1000' },
    'legacy-secrets': { type: 'boolean', default: false },
    'database-url': { type: 'string' },
    'redis-url': { type: 'string' },
    // Internal: this script is also the client process (one per broker).
    client: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------------------
// MQTT 3.1.1 CONNECT, by hand: a socket costs a client a few KiB, an mqtt.js client tens.

const utf8 = (s: string) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};
function connectPacket(clientId: string, username: string, password: string): Buffer {
  const body = Buffer.concat([utf8('MQTT'), Buffer.from([4, 0xc2, 0, 0]), utf8(clientId), utf8(username), utf8(password)]);
  const length: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    length.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x10, ...length]), body]);
}

interface ClientJob {
  port: number;
  devices: Array<[string, string]>;
  inFlight: number;
}

/** The client process: opens every connection (at most `inFlight` waiting for CONNACK) and keeps them open. */
async function runClient(file: string): Promise<void> {
  const job = JSON.parse(readFileSync(file, 'utf8')) as ClientJob;
  const sockets: unknown[] = [];
  let next = 0;
  let accepted = 0;
  let refused = 0;
  const started = performance.now();
  await new Promise<void>((done) => {
    const openOne = () => {
      if (next >= job.devices.length) return;
      const [iccid, secret] = job.devices[next++];
      const socket = netConnect(job.port, '127.0.0.1', () => socket.write(connectPacket(`bench-${iccid}`, iccid, secret)));
      sockets.push(socket);
      socket.once('data', (data: Buffer) => {
        if (data[0] === 0x20 && data[3] === 0) accepted += 1;
        else refused += 1;
        if (accepted + refused === job.devices.length) done();
        else openOne();
      });
      socket.on('error', () => undefined);
    };
    for (let i = 0; i < job.inFlight; i++) openOne();
  });
  process.stdout.write(`${JSON.stringify({ accepted, refused, ms: performance.now() - started })}\n`);
  // Kept open until the parent has measured the brokers and stops this process.
  await new Promise(() => undefined);
}

// ---------------------------------------------------------------------------------------------------------

const rssKiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

async function startBroker(env: Record<string, string>, work: string, name: string): Promise<{ child: ChildProcess; port: number }> {
  const [port, httpPort] = [await freePort(), await freePort()];
  const out = openSync(join(work, `${name}.log`), 'a');
  const child = spawn(process.execPath, ['--max-semi-space-size=32', join(DIST, 'apps/broker/src/main.js')], {
    env: { ...process.env, ...env, PORT: String(httpPort), MQTT_PORT: String(port), MQTT_WS_PORT: '0', MQTT_BROKER_ID: name, LOG_LEVEL: 'warn' },
    stdio: ['ignore', out, out],
  });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited:\n${readFileSync(join(work, `${name}.log`), 'utf8').slice(-3000)}`);
    try {
      if ((await fetch(`http://127.0.0.1:${httpPort}/ready`)).ok) return { child, port };
    } catch {
      // not listening yet
    }
    if (i > 600) throw new Error(`${name} not ready in 60 s`);
    await sleep(100);
  }
}

async function provision(db: pg.Client, devices: number, legacy: boolean): Promise<Array<[string, string]>> {
  const scrypt = promisify(scryptCallback) as (p: string, s: Buffer, l: number) => Promise<Buffer>;
  const account = `acc_bench_${randomBytes(4).toString('hex')}`;
  await db.query('insert into accounts (id, name) values ($1, $2)', [account, 'bench:connect']);
  const out: Array<[string, string]> = [];
  const stamp = Date.now().toString().slice(-6);
  for (let start = 0; start < devices; start += 1_000) {
    const rows: Array<[string, string, string]> = [];
    for (let i = start; i < Math.min(devices, start + 1_000); i++) {
      const iccid = `8988309${stamp}${String(i).padStart(6, '0')}`;
      const secret = randomBytes(24).toString('base64url');
      const hash = legacy
        ? await (async () => {
            const salt = randomBytes(16);
            return `scrypt$${salt.toString('base64url')}$${(await scrypt(secret, salt, 32)).toString('base64url')}`;
          })()
        : hashDeviceSecret(secret);
      rows.push([iccid, secret, hash]);
      out.push([iccid, secret]);
    }
    await db.query(
      `insert into sims (iccid, imsi, account_id, status, secret_hash)
       select iccid, '9' || right(iccid, 14), $1, 'active', hash from unnest($2::text[], $3::text[]) as t(iccid, hash)`,
      [account, rows.map((r) => r[0]), rows.map((r) => r[2])],
    );
  }
  return out;
}

async function storm(
  env: Record<string, string>,
  work: string,
  devices: Array<[string, string]>,
  perBroker: number,
  inFlight: number,
): Promise<{ perSecond: number; kibPerConnection: number[]; refused: number }> {
  const groups: Array<Array<[string, string]>> = [];
  for (let i = 0; i < devices.length; i += perBroker) groups.push(devices.slice(i, i + perBroker));
  const brokers = await Promise.all(groups.map((_, i) => startBroker(env, work, `bench-broker-${devices.length}-${i}`)));
  await sleep(2_000);
  const before = brokers.map((b) => rssKiB(b.child.pid!));
  const clients: ChildProcess[] = [];
  const started = performance.now();
  const results = await Promise.all(
    groups.map((group, i) => {
      const file = join(work, `client-${devices.length}-${i}.json`);
      writeFileSync(
        file,
        JSON.stringify({ port: brokers[i].port, devices: group, inFlight: Math.ceil(inFlight / groups.length) } satisfies ClientJob),
      );
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--client', file], { stdio: ['ignore', 'pipe', 'inherit'] });
      clients.push(child);
      return new Promise<{ accepted: number; refused: number; ms: number }>((resolveResult) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolveResult(JSON.parse(out.split('\n')[0]));
        });
      });
    }),
  );
  const elapsedMs = performance.now() - started;
  await sleep(2_000); // let the brokers settle (connection log queued, buffers released)
  const after = brokers.map((b) => rssKiB(b.child.pid!));
  const accepted = results.reduce((n, r) => n + r.accepted, 0);
  for (const c of clients) c.kill('SIGKILL');
  for (const b of brokers) b.child.kill('SIGTERM');
  await Promise.all(brokers.map((b) => new Promise((r) => (b.child.exitCode !== null ? r(null) : b.child.once('exit', r)))));
  return {
    perSecond: accepted / (elapsedMs / 1000),
    kibPerConnection: brokers.map((_, i) => (after[i] - before[i]) / groups[i].length),
    refused: results.reduce((n, r) => n + r.refused, 0),
  };
}

async function main(): Promise<void> {
  if (values.client) return runClient(values.client);
  if (values.help) {
    log(
      'npm run bench:connect -- [--devices 10000,50000] [--per-broker 16000] [--in-flight 1000] [--legacy-secrets] [--database-url URL --redis-url URL]',
    );
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'simfleet-bench-connect-'));
  try {
    const databaseUrl = values['database-url'] ?? (await startPostgres()).url;
    const redisUrl = values['redis-url'] ?? (await startRedis()).url;
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, REDIS_PREFIX: `bench-connect-${randomBytes(3).toString('hex')}` };
    // The first broker migrates the database.
    const first = await startBroker(env, work, 'bench-broker-migrate');
    first.child.kill('SIGTERM');
    await new Promise((r) => first.child.once('exit', r));
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    log(
      `bench:connect — ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
    );
    log(
      `targets: ≥ ${TARGET_CONNECTIONS_PER_SECOND.toLocaleString('en')} connections/s; ≤ ${TARGET_KIB_PER_CONNECTION} KiB of broker RSS per connection`,
    );
    for (const count of values.devices.split(',').map(Number)) {
      const devices = await provision(db, count, values['legacy-secrets']);
      const perBroker = Number(values['per-broker']);
      const runs = values['legacy-secrets'] ? ['scrypt secrets (first storm, upgrading them)', 'upgraded secrets (second storm)'] : ['storm'];
      for (const label of runs) {
        const result = await storm(env, work, devices, perBroker, Number(values['in-flight']));
        const kib = result.kibPerConnection.map((k) => k.toFixed(1)).join(', ');
        const ok = result.perSecond >= TARGET_CONNECTIONS_PER_SECOND && result.kibPerConnection.every((k) => k <= TARGET_KIB_PER_CONNECTION);
        log(
          `${count.toLocaleString('en')} devices on ${Math.ceil(count / perBroker)} broker(s), ${label}: ` +
            `${Math.round(result.perSecond).toLocaleString('en')} connections/s, ${kib} KiB RSS per connection` +
            `${result.refused ? `, ${result.refused} refused` : ''} ${ok ? '✔' : '✘'}`,
        );
      }
    }
    await db.end();
  } finally {
    if (!values['database-url'] || !values['redis-url']) await stopAllServers();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
