/**
 * `npm run demo`: the embedded platform with a live demo fleet, in one command (docs/simulator.md).
 * Starts the platform (the same start function as `npm start`) on its own data directory, then, through the
 * public /v1 API only, creates the account "Demo Fleet", its owner user and an API key, orders and activates
 * SIMs, and runs the device simulator against them. A second run reuses the data and the credentials.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startPlatform, type RunningPlatform } from '@simfleet/bootstrap';
import { ConfigError, loadConfig } from '@simfleet/config';
import { createRootLogger, resolveLogFormat } from '@simfleet/observability';
import { ROLE_NAMES, rolesNamed } from '../apps/platform/src/roles.js';
import { ApiError, FleetApi, provisionDevices, type Device } from './lib/fleet-api.js';

const HELP = `Usage: npm run demo [-- options]

Starts the embedded platform with a demo fleet: the account "Demo Fleet", its owner user, an API key and
SIMs, with simulated devices connected over MQTT reporting sessions, locations and status. Prints the
console URL, the sign-in and the API key. Ctrl-C stops everything. A second run reuses the data.

The platform's settings come from the environment as for \`npm start\` (PORT, MQTT_PORT, LOG_LEVEL, ...),
except that the demo always runs embedded (DATABASE_URL, REDIS_URL and INFLUX_URL are ignored), in its own
data directory, with its own platform admin key (kept, like the other credentials, in demo.json there).

Options:
  --data-dir DIR   where the demo keeps its data (default ./data/demo); delete it to start over
  --sims N         SIMs in the demo fleet on the first run (default 300)
  --rate R         messages per second per device (default 0.2)
  --help           this text
`;

const SIMULATOR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'simulate.js');
const ACCOUNT_NAME = 'Demo Fleet';
const OWNER_EMAIL = 'owner@demo-fleet.example';

/** What the demo needs on its next run; secrets that the API never shows again (mode 0600). */
interface Credentials {
  adminKey: string;
  accountId: string;
  apiKey: string;
  ownerEmail: string;
  ownerPassword: string;
}

function fail(message: string, code = 2): never {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(code);
}

function parseOptions() {
  try {
    const { values } = parseArgs({
      options: {
        'data-dir': { type: 'string', default: path.join('data', 'demo') },
        sims: { type: 'string', default: '300' },
        rate: { type: 'string', default: '0.2' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
    return values;
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
}

const options = parseOptions();
if (options.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const simCount = Number(options.sims);
if (!Number.isInteger(simCount) || simCount < 1 || simCount > 10_000) fail('--sims must be a whole number from 1 to 10000');
if (!(Number(options.rate) > 0)) fail('--rate must be a number of messages per second per device, above 0');
const dataDir = path.resolve(options['data-dir']);
const credentialsFile = path.join(dataDir, 'demo.json');
const devicesFile = path.join(dataDir, 'simulator-devices.json');
/** Set once Ctrl-C was pressed: what fails after that is the stopping, not an error to report. */
let stopping = false;
const log = (line: string) => process.stdout.write(`demo: ${line}\n`);

function loadCredentials(): Credentials | null {
  if (!existsSync(credentialsFile)) return null;
  return JSON.parse(readFileSync(credentialsFile, 'utf8')) as Credentials;
}

function saveCredentials(credentials: Credentials): void {
  writeFileSync(credentialsFile, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
}

/** The first run: the account, its owner (invited by the platform admin, who accepts with a generated password) and a key. */
async function createDemoAccount(admin: FleetApi, adminKey: string): Promise<Credentials> {
  const account = await admin.request<{ id: string }>('POST', '/v1/accounts', { name: ACCOUNT_NAME });
  const invited = await admin.request<{ invite: { token: string } }>('POST', `/v1/accounts/${account.id}/users`, {
    email: OWNER_EMAIL,
    role: 'owner',
    name: 'Demo owner',
  });
  const ownerPassword = randomBytes(12).toString('base64url');
  await admin.request('POST', '/v1/invites/accept', { token: invited.invite.token, password: ownerPassword });
  const key = await admin.request<{ key: string }>('POST', `/v1/accounts/${account.id}/api-keys`, {
    name: 'demo',
    scopes: ['read', 'write', 'mqtt'],
  });
  return { adminKey, accountId: account.id, apiKey: key.key, ownerEmail: OWNER_EMAIL, ownerPassword };
}

/** The data of an earlier demo without its demo.json (deleted by hand): a new owner password and a new key. */
async function recoverDemoAccount(admin: FleetApi, adminKey: string): Promise<Credentials | null> {
  let cursor: string | null = null;
  let account: { id: string } | undefined;
  do {
    const page: { data: Array<{ id: string; name: string }>; nextCursor: string | null } = await admin.request(
      'GET',
      `/v1/accounts?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    account = page.data.find((a) => a.name === ACCOUNT_NAME);
    cursor = page.nextCursor;
  } while (!account && cursor);
  if (!account) return null;
  const users = await admin.request<{ data: Array<{ id: string; email: string; status: string }> }>(
    'GET',
    `/v1/accounts/${account.id}/users?limit=100`,
  );
  const owner = users.data.find((u) => u.email === OWNER_EMAIL && u.status === 'active');
  if (!owner) fail(`${dataDir} holds a "${ACCOUNT_NAME}" account without its owner ${OWNER_EMAIL}: delete ${dataDir} to start the demo over`, 1);
  const reset = await admin.request<{ token: string }>('POST', `/v1/accounts/${account.id}/users/${owner.id}/password-reset`);
  const ownerPassword = randomBytes(12).toString('base64url');
  await admin.request('POST', '/v1/password-resets/accept', { token: reset.token, password: ownerPassword });
  const key = await admin.request<{ key: string }>('POST', `/v1/accounts/${account.id}/api-keys`, {
    name: 'demo',
    scopes: ['read', 'write', 'mqtt'],
  });
  return { adminKey, accountId: account.id, apiKey: key.key, ownerEmail: OWNER_EMAIL, ownerPassword };
}

function knownDevices(): Device[] {
  if (!existsSync(devicesFile)) return [];
  return (JSON.parse(readFileSync(devicesFile, 'utf8')) as { devices: Device[] }).devices;
}

/** The simulator as its own process (`npm run simulate`), publishing until the demo stops it. */
function startSimulator(apiUrl: string, mqttUrl: string, credentials: Credentials, devices: number, onConnected: () => void): ChildProcess {
  const child = spawn(
    process.execPath,
    [SIMULATOR, '--api', apiUrl, '--mqtt', mqttUrl, '--key', credentials.apiKey, '--state', devicesFile, '--devices', String(devices)].concat([
      '--rate',
      options.rate,
      '--duration',
      '24h',
    ]),
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let lastProgress = 0;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    // The simulator prints its progress every second; a line every half minute is enough under the banner.
    if (/^\d+s {2}acked/.test(line)) {
      if (Date.now() - lastProgress < 30_000) return;
      lastProgress = Date.now();
    }
    if (/devices connected/.test(line)) onConnected();
    process.stdout.write(`simulator: ${line}\n`);
  });
  return child;
}

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const saved = loadCredentials();
  const adminKey = saved?.adminKey ?? `demo_${randomBytes(24).toString('base64url')}`;
  // Embedded whatever the shell says: the demo must not write into a user's PostgreSQL, Redis or InfluxDB.
  const { DATABASE_URL, REDIS_URL, INFLUX_URL, ...settings } = process.env;
  if (DATABASE_URL || REDIS_URL || INFLUX_URL) log('DATABASE_URL, REDIS_URL and INFLUX_URL are ignored: the demo is embedded');
  const env = { ...settings, DATA_DIR: dataDir, ADMIN_API_KEY: adminKey };
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 78);
    throw error;
  }
  const logger = createRootLogger(config.logLevel, resolveLogFormat(config.logFormat, process.stdout.isTTY === true));
  const platform: RunningPlatform = await startPlatform(config, rolesNamed(ROLE_NAMES), logger);
  const apiUrl = platform.httpUrl;
  const mqttUrl = `mqtt://127.0.0.1:${platform.mqttPorts.tcp}`;
  const admin = new FleetApi(apiUrl, adminKey);

  let simulator: ChildProcess | null = null;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received: stopping the simulator, then the platform`);
    const force = setTimeout(() => {
      log(`stopping took longer than ${config.shutdownTimeoutMs + 10_000} ms: exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs + 10_000);
    force.unref();
    // The simulator ends its open sessions over MQTT, so the broker must still be up while it does.
    if (simulator && simulator.exitCode === null && simulator.signalCode === null) {
      // 'close', not 'exit': its last lines (the summary) are read by then.
      const exited = new Promise((resolve) => simulator!.once('close', resolve));
      simulator.kill('SIGINT');
      await exited;
    }
    await platform.close();
    process.exit(0);
  };
  // However the demo ends, its simulator does not outlive it.
  process.on('exit', () => simulator?.kill('SIGKILL'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  let credentials: Credentials;
  if (saved) {
    credentials = saved;
    try {
      await new FleetApi(apiUrl, credentials.apiKey).request('GET', '/v1/sims?limit=1');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401)
        fail(`the API key in ${credentialsFile} is no longer valid: delete ${dataDir} to start the demo over`, 1);
      throw error;
    }
    log(`reusing the demo account ${credentials.accountId} (${credentialsFile})`);
  } else {
    const recovered = await recoverDemoAccount(admin, adminKey);
    credentials = recovered ?? (await createDemoAccount(admin, adminKey));
    saveCredentials(credentials);
    log(
      recovered
        ? `found the account "${ACCOUNT_NAME}" (${credentials.accountId}) without ${credentialsFile}: new owner password and API key`
        : `created the account "${ACCOUNT_NAME}" (${credentials.accountId}), its owner ${credentials.ownerEmail} and an API key`,
    );
  }
  const demo = credentials;
  const account = new FleetApi(apiUrl, demo.apiKey);
  const devices = await provisionDevices(account, admin, simCount, knownDevices(), log);
  // The simulator reuses the devices of a state file written for this API URL (the port may have changed).
  writeFileSync(devicesFile, JSON.stringify({ api: apiUrl, accountKey: credentials.apiKey, devices }, null, 2), { mode: 0o600 });

  const connected = new Promise<void>((resolve, reject) => {
    let ready = false;
    simulator = startSimulator(apiUrl, mqttUrl, demo, devices.length, () => {
      ready = true;
      resolve();
    });
    simulator.on('exit', (code, signal) => {
      if (stopping) return;
      if (!ready) reject(new Error(`the simulator stopped before its devices connected (${signal ?? `exit ${code}`})`));
      else log(`the simulator stopped (${signal ?? `exit ${code}`}); the platform keeps running (Ctrl-C to stop)`);
    });
  });
  await connected;
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  const consoleUrl = `${apiUrl}/`;
  process.stdout.write(
    [
      '',
      `simfleet demo ready in ${process.uptime().toFixed(1)} s — ${devices.length} devices publishing over MQTT (${mqttUrl})`,
      `  Console       ${consoleUrl}`,
      `  Sign in       ${credentials.ownerEmail}   password ${credentials.ownerPassword}`,
      `  API key       ${credentials.apiKey}   (read, write, mqtt)`,
      `                curl -H "Authorization: Bearer ${credentials.apiKey}" ${apiUrl}/v1/sims`,
      `  API docs      ${apiUrl}/docs`,
      `  Data          ${dataDir}   (credentials in demo.json; delete the directory to start over)`,
      '  Stop          Ctrl-C (a second `npm run demo` reuses the data)',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  if (stopping) return;
  process.stderr.write(`demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
