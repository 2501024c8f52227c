import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims } from './support/fleet.js';
import { freePort } from '../harness/isolation.js';
import { clockEnv } from '../support/test-time.js';

// The real entry points, built and started as a user would (`npm start` = build + this), over real ports.
const root = path.resolve('.');
const node = process.execPath;

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

function run(entry: string, env: Record<string, string>): Started {
  let output = '';
  const child = spawn(node, [path.join(root, entry)], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...clockEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  running.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, output: () => output, exited };
}

describe('the platform as processes', () => {
  let dataDir: string;

  beforeAll(() => {
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8' });
    expect(build.status).toBe(0);
  }, 120_000);
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-proc-'));
  });
  afterEach(async () => {
    // A test that failed half-way leaves its processes running: stop them before removing their data.
    await Promise.all([...running].map((child) => new Promise((resolve) => child.once('exit', resolve).kill('SIGKILL'))));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts with embedded defaults, prints its URLs and a generated admin key once, and stops on SIGTERM with exit 0', async () => {
    const [port, mqttPort, wsPort] = [await freePort(), await freePort(), await freePort()];
    // The test polls faster than a person would: lift the per-key rate limit.
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      MQTT_PORT: String(mqttPort),
      MQTT_WS_PORT: String(wsPort),
      HOST: '127.0.0.1',
      RATE_LIMIT_PER_MINUTE: '100000',
    };
    // At debug, every request is logged with its id: the secrets check below covers those lines too.
    const first = run('dist/apps/platform/src/main.js', { ...env, LOG_LEVEL: 'debug' });
    const banner = await eventually(async () => (/Platform admin API key/.test(first.output()) ? first.output() : undefined), 60_000);
    expect(banner).toContain(`HTTP    http://127.0.0.1:${port}`);
    expect(banner).toContain(`MQTT    mqtt://localhost:${mqttPort}`);
    expect(banner).toMatch(/database PGlite .*queue in-process, telemetry SQL tables/);
    const adminKey = /\n\s+(key_[0-9A-Z]{26}\.[A-Za-z0-9_-]+)\n/.exec(banner)![1];

    const admin = new ApiClient(`http://127.0.0.1:${port}`, adminKey);
    expect((await admin.get('/health')).status).toBe(200);
    expect((await admin.get('/ready')).status).toBe(200);
    expect((await admin.get('/openapi.json')).status).toBe(200);
    expect((await new ApiClient(admin.baseUrl).get('/v1/sims')).status).toBe(401);

    // A device connected while the process stops is disconnected cleanly; its acknowledged record is stored first.
    const account = await createAccount(admin, 'Process');
    const [iccid] = await orderSims(admin, account, 1);
    const secret = await activate(account, iccid);
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: iccid, password: secret, reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => device.on('close', () => resolve()));
    await device.publishAsync(
      `things/${iccid}/sessions`,
      JSON.stringify({
        sessionId: 'p1',
        startedAt: new Date(Date.now() - 60_000).toISOString(),
        endedAt: null,
        bytesUp: 10,
        bytesDown: 20,
        mcc: '262',
        mnc: '01',
        rat: '4G',
      }),
      { qos: 1 },
    );
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    await closed;
    const logs = first.output();
    expect(logs).toContain('SIGTERM received: shutting down');
    // Secrets never reach the logs: the generated key appears only in the banner, API keys and device secrets never.
    expect(logs.split(adminKey).length - 1).toBe(1);
    expect(logs).not.toContain(account.writeKey.split('.')[1]);
    expect(logs).not.toContain(secret);
    expect(logs).toMatch(/"reqId":"[0-9a-f-]{36}"/);

    // Restarted on the same data: the key still works, no new key is printed, the acknowledged record was kept.
    const second = run('dist/apps/platform/src/main.js', env);
    await eventually(async () => (/ready —/.test(second.output()) ? true : undefined), 60_000);
    expect(second.output()).not.toContain('Platform admin API key');
    const usage = await new ApiClient(admin.baseUrl, account.readKey).get(
      `/v1/sims/${iccid}/usage?from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}&interval=day`,
    );
    expect(usage.body.totals).toEqual({ bytesUp: 10, bytesDown: 20, bytesTotal: 30, sessions: 1 });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 180_000);

  it('starts quietly for a person: no route-by-route or request lines at info, the banner last, logs readable on a terminal', async () => {
    const [port, mqttPort, wsPort] = [await freePort(), await freePort(), await freePort()];
    const env = { DATA_DIR: dataDir, PORT: String(port), MQTT_PORT: String(mqttPort), MQTT_WS_PORT: String(wsPort), HOST: '127.0.0.1' };
    const json = run('dist/apps/platform/src/main.js', env);
    await eventually(async () => (/Set ADMIN_API_KEY to use your own instead/.test(json.output()) ? true : undefined), 60_000);
    expect((await new ApiClient(`http://127.0.0.1:${port}`).get('/health')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    const out = json.output();
    expect(out).not.toContain('Mapped {');
    expect(out).not.toContain('incoming request');
    // Every listener listens before the banner, which is the last thing written.
    expect(out.trimEnd().split('\n').at(-1)).toBe('  Set ADMIN_API_KEY to use your own instead.');
    // Not a terminal: JSON lines for a log pipeline.
    expect(out.split('\n').filter((l) => l.startsWith('{')).length).toBeGreaterThan(0);
    json.child.kill('SIGTERM');
    expect(await json.exited).toBe(0);

    // LOG_FORMAT=pretty (what a terminal gets by default): readable lines, no JSON.
    const pretty = run('dist/apps/platform/src/main.js', { ...env, LOG_FORMAT: 'pretty' });
    await eventually(async () => (/simfleet api\+broker\+worker ready/.test(pretty.output()) ? true : undefined), 60_000);
    const lines = pretty.output().split('\n');
    expect(lines.filter((l) => l.startsWith('{'))).toEqual([]);
    expect(pretty.output()).toMatch(/INFO.*MqttBroker: MQTT broker .* listening/);
    pretty.child.kill('SIGTERM');
    expect(await pretty.exited).toBe(0);
  }, 180_000);

  it('recovers admin access with npm run admin-key -- --rotate, keeping the data', async () => {
    const [port, mqttPort, wsPort] = [await freePort(), await freePort(), await freePort()];
    const env = { DATA_DIR: dataDir, PORT: String(port), MQTT_PORT: String(mqttPort), MQTT_WS_PORT: String(wsPort), HOST: '127.0.0.1' };
    const first = run('dist/apps/platform/src/main.js', env);
    const banner = await eventually(async () => (/Platform admin API key/.test(first.output()) ? first.output() : undefined), 60_000);
    const lostKey = /\n\s+(key_[0-9A-Z]{26}\.[A-Za-z0-9_-]+)\n/.exec(banner)![1];
    const account = await createAccount(new ApiClient(`http://127.0.0.1:${port}`, lostKey), 'Kept');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const rotate = spawnSync(node, ['dist/scripts/admin-key.js', '--rotate'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...clockEnv(), DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    expect({ status: rotate.status, stderr: rotate.stderr }).toEqual({ status: 0, stderr: '' });
    expect(rotate.stdout).toContain('Revoked 1 stored admin key.');
    const newKey = /\n\s+(key_[0-9A-Z]{26}\.[A-Za-z0-9_-]+)\n/.exec(rotate.stdout)![1];
    expect(newKey).not.toBe(lostKey);

    const second = run('dist/apps/platform/src/main.js', env);
    await eventually(async () => (/ready —/.test(second.output()) ? true : undefined), 60_000);
    expect(second.output()).not.toContain('Platform admin API key');
    expect((await new ApiClient(`http://127.0.0.1:${port}`, lostKey).get('/v1/accounts')).status).toBe(401);
    const accounts = await new ApiClient(`http://127.0.0.1:${port}`, newKey).get('/v1/accounts');
    expect(accounts.status).toBe(200);
    expect(accounts.body.data.map((a: { id: string }) => a.id)).toContain(account.accountId);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const usage = spawnSync(node, ['dist/scripts/admin-key.js'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    expect(usage.status).toBe(2);
    expect(usage.stdout).toContain('Usage: npm run admin-key -- --rotate');
  }, 180_000);

  it('refuses to start on a wrong value, naming the variable', async () => {
    const started = run('dist/apps/platform/src/main.js', { DATA_DIR: dataDir, PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(await started.exited).toBe(78);
    expect(started.output()).toContain('PORT expects a port number from 0 to 65535; got "eighty"');
    expect(started.output()).toContain('LOG_LEVEL expects one of');
  });

  it.each(['api', 'broker', 'worker'])('refuses to run the %s role alone on embedded parts', async (role) => {
    const started = run(`dist/apps/${role}/src/main.js`, { DATA_DIR: dataDir });
    expect(await started.exited).toBe(78);
    expect(started.output()).toContain(`DATABASE_URL and REDIS_URL expects a value when running ${role} alone`);
  });

  it('migrates with npm run migrate, once', () => {
    const env = { ...process.env, DATA_DIR: dataDir };
    const first = spawnSync(node, ['dist/scripts/migrate.js'], { cwd: root, env, encoding: 'utf8' });
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^migrate: applied 0001_foundation, .* to pglite/);
    const second = spawnSync(node, ['dist/scripts/migrate.js'], { cwd: root, env, encoding: 'utf8' });
    expect(second.stdout).toMatch(/^migrate: pglite is up to date/);
  });
});
