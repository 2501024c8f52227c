/**
 * Device simulator: connects simulated devices to the MQTT broker as real SIMs and publishes realistic
 * data sessions, locations and status (docs/simulator.md).
 *   npm run simulate -- --devices 10 --rate 1 --duration 60s [--api URL] [--mqtt URL] [--key KEY] [--admin-key KEY]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { createAccount, FleetApi, provisionDevices, inParallel, type Device } from './lib/fleet-api.js';
import { SimulatedDevice } from './lib/device-model.js';

const HELP = `Usage: npm run simulate -- [options]

Connects N simulated devices to the platform's MQTT broker, each as one active SIM (username = ICCID,
password = device secret), and publishes at QoS 1: data sessions (interim updates with growing
cumulative counters, then an end) on real networks of FR, DE, GB, ES, IT and US, a location that moves,
and status (IMEI, signal, firmware). Prints what it sent every second and a summary at the end.

SIMs: the devices of a previous run against the same API and account are reused (their secrets are in
the state file); then inventory SIMs of the account are activated; then, with an admin key, stock is
added and ordered. Without --key, an admin key creates a new account "Simulated fleet".

Options:
  --devices N        number of devices (default 10)
  --rate R           messages per second per device, may be fractional (default 1)
  --duration D       how long to publish: 90, 90s, 5m, 1h (default 60s)
  --api URL          REST API base URL (default http://localhost:3000)
  --mqtt URL         MQTT broker URL (default mqtt://<api host>:1883)
  --key KEY          the account's API key with the write scope (or env SIMFLEET_API_KEY)
  --admin-key KEY    platform admin key, to create the account and order SIMs (or env ADMIN_API_KEY)
  --state FILE       where device secrets are kept between runs (default .simulator-devices.json)
  --seed N           seed of the device behaviour (default 1)
  --verbose          print every message published
  --help             this text
`;

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1' },
    duration: { type: 'string', default: '60s' },
    api: { type: 'string', default: 'http://localhost:3000' },
    mqtt: { type: 'string' },
    key: { type: 'string' },
    'admin-key': { type: 'string' },
    state: { type: 'string', default: '.simulator-devices.json' },
    seed: { type: 'string', default: '1' },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`simulate: ${message}\n\n${HELP}`);
  process.exit(2);
}

function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) fail(`--duration ${text}: expected e.g. 90, 90s, 5m, 1h`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const deviceCount = Number(values.devices);
const rate = Number(values.rate);
const durationMs = parseDuration(values.duration);
if (!Number.isInteger(deviceCount) || deviceCount < 1 || deviceCount > 100_000) fail('--devices must be a whole number from 1 to 100000');
if (!(rate > 0) || rate > 1_000) fail('--rate must be a number of messages per second per device, above 0 and at most 1000');
const apiUrl = values.api;
const mqttUrl = values.mqtt ?? `mqtt://${new URL(apiUrl).hostname}:1883`;
const adminKey = values['admin-key'] ?? process.env.ADMIN_API_KEY;
const log = (line: string) => process.stdout.write(`${line}\n`);

interface State {
  api: string;
  accountKey: string;
  devices: Device[];
}

function loadState(): State | null {
  if (!existsSync(values.state)) return null;
  const state = JSON.parse(readFileSync(values.state, 'utf8')) as State;
  return state.api === apiUrl ? state : null;
}

async function main(): Promise<void> {
  const saved = loadState();
  let key = values.key ?? process.env.SIMFLEET_API_KEY ?? saved?.accountKey;
  const admin = adminKey ? new FleetApi(apiUrl, adminKey) : null;
  if (!key) {
    if (!admin) fail('give the account key (--key) or an admin key (--admin-key / ADMIN_API_KEY) to create an account');
    const account = await createAccount(admin, 'Simulated fleet');
    key = account.key;
    log(`created account ${account.accountId}; its API key (write): ${key}`);
  }
  const api = new FleetApi(apiUrl, key);
  const known = saved && saved.accountKey === key ? saved.devices : [];
  const devices = await provisionDevices(api, admin, deviceCount, known, log);
  const byIccid = new Map([...known, ...devices].map((d) => [d.iccid, d]));
  writeFileSync(values.state, JSON.stringify({ api: apiUrl, accountKey: key, devices: [...byIccid.values()] }, null, 2), { mode: 0o600 });
  log(`${devices.length} devices ready (secrets kept in ${values.state}); connecting to ${mqttUrl}`);

  const seed = Number(values.seed) || 1;
  const errors: string[] = [];
  let acked = 0;
  let failed = 0;
  const connected = await inParallel(devices, 16, async (device, index = devices.indexOf(device)) => {
    const client = await mqtt.connectAsync(mqttUrl, {
      username: device.iccid,
      password: device.secret,
      clientId: `sim-${device.iccid}`,
      reconnectPeriod: 1_000,
      connectTimeout: 10_000,
    });
    // Refused records come back with their reason on the device's error topic.
    await client.subscribeAsync(`things/${device.iccid}/errors`, { qos: 1 });
    client.on('message', (topic, payload) => errors.push(`${topic}: ${payload.toString('utf8').slice(0, 300)}`));
    return { client, model: new SimulatedDevice(device.iccid, seed * 100_003 + index) };
  });
  log(`${connected.length} devices connected; publishing ${rate} msg/s each for ${durationMs / 1000} s`);

  const publish = (client: MqttClient, iccid: string, channel: string, payload: unknown) => {
    const text = JSON.stringify(payload);
    if (values.verbose) log(`→ things/${iccid}/${channel} ${text}`);
    client.publish(`things/${iccid}/${channel}`, text, { qos: 1 }, (error) => (error ? failed++ : acked++));
  };

  const started = Date.now();
  const intervalMs = 1000 / rate;
  const timers = connected.map(({ client, model }) =>
    // Spread the devices over the interval so the broker sees a steady flow, not bursts.
    setTimeout(() => {
      const send = () => {
        const message = model.tick();
        publish(client, model.iccid, message.channel, message.payload);
      };
      send();
      timers.push(setInterval(send, intervalMs));
    }, Math.random() * intervalMs),
  ) as Array<ReturnType<typeof setTimeout>>;
  const progress = setInterval(() => {
    const t = connected.reduce(
      (s, { model }) => ({
        sessions: s.sessions + model.sent.sessionsStarted,
        updates: s.updates + model.sent.sessionUpdates,
        locations: s.locations + model.sent.locations,
        statuses: s.statuses + model.sent.statuses,
      }),
      { sessions: 0, updates: 0, locations: 0, statuses: 0 },
    );
    log(
      `${((Date.now() - started) / 1000).toFixed(0)}s  acked ${acked}  sessions ${t.sessions}  interim ${t.updates}  locations ${t.locations}  status ${t.statuses}  refused ${errors.length}${failed ? `  failed ${failed}` : ''}`,
    );
  }, 1000);

  // Ctrl-C (or `npm run demo` stopping) ends the run early, the same way as the end of the duration.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, durationMs);
    let ending = false;
    const early = (signal: string) => {
      // A terminal's Ctrl-C reaches the demo and its simulator both, and the demo passes it on: once is enough.
      if (ending) return;
      ending = true;
      log(`${signal} received: ending the open sessions`);
      clearTimeout(timer);
      resolve();
    };
    process.on('SIGINT', () => early('SIGINT'));
    process.on('SIGTERM', () => early('SIGTERM'));
  });
  timers.forEach((t) => clearTimeout(t));
  clearInterval(progress);
  // Close every open session, so the ledger holds ended sessions only.
  for (const { client, model } of connected) {
    const end = model.end();
    if (end) publish(client, model.iccid, 'sessions', end);
  }
  await Promise.all(connected.map(({ client }) => client.endAsync()));

  const totals = connected.reduce(
    (s, { model }) => ({
      sessionsStarted: s.sessionsStarted + model.sent.sessionsStarted,
      sessionsEnded: s.sessionsEnded + model.sent.sessionsEnded,
      sessionUpdates: s.sessionUpdates + model.sent.sessionUpdates,
      locations: s.locations + model.sent.locations,
      statuses: s.statuses + model.sent.statuses,
      bytes: s.bytes + model.sent.bytes,
    }),
    { sessionsStarted: 0, sessionsEnded: 0, sessionUpdates: 0, locations: 0, statuses: 0, bytes: 0 },
  );
  const networks = new Map<string, number>();
  for (const { model } of connected)
    networks.set(
      `${model.currentNetwork.mcc}-${model.currentNetwork.mnc} ${model.currentNetwork.name} (${model.currentNetwork.country})`,
      (networks.get(`${model.currentNetwork.mcc}-${model.currentNetwork.mnc} ${model.currentNetwork.name} (${model.currentNetwork.country})`) ?? 0) +
        1,
    );
  log('');
  log(`sent in ${((Date.now() - started) / 1000).toFixed(1)} s by ${connected.length} devices (${acked} acknowledged, ${failed} failed):`);
  log(
    `  sessions   ${totals.sessionsStarted} started, ${totals.sessionsEnded} ended, ${totals.sessionUpdates} interim updates, ${totals.bytes} bytes`,
  );
  log(`  locations  ${totals.locations}`);
  log(`  status     ${totals.statuses}`);
  log(`  networks at the end: ${[...networks.entries()].map(([n, c]) => `${n} ×${c}`).join(', ')}`);
  log(`  refused    ${errors.length}`);
  for (const error of errors.slice(0, 10)) log(`    ${error}`);
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`simulate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
