// Jest global setup for the integration and e2e projects: one PostgreSQL, one Redis and one InfluxDB
// for the whole run, published to the test processes as TEST_PG_URL, TEST_REDIS_URL, TEST_INFLUX_URL.
// A missing binary fails the run under CI=true; elsewhere the suites that need it are skipped
// (see requireServers in isolation.ts).
import { createRequire } from 'node:module';
import type { RunServers } from './run-state.js';
import type { ServerHandle, ServerName } from './servers.js';

// Jest loads global setup/teardown through its CommonJS require hook, where moduleNameMapper does not
// apply, so `./x.js` would not resolve to `./x.ts`: load the sibling modules by their real file name.
const load = createRequire(__filename);
const { SERVER_ENV, SERVER_NAMES, getRunServers, setRunServers } = load('./run-state.ts') as typeof import('./run-state.js');
const { missingBinaries, startServer, stopAllServers } = load('../../scripts/lib/servers.ts') as typeof import('./servers.js');

export default async function globalSetup(): Promise<void> {
  if (getRunServers() !== undefined) return; // already started for this run (setup shared by projects)
  const missing = missingBinaries();
  if (missing.length > 0 && process.env.CI === 'true') {
    throw new Error(
      `servers: CI=true and ${missing.map((m) => `${m.binary} (Debian package ${m.debianPackage})`).join(', ')} not found: ` +
        `apt-get install -y ${missing.map((m) => m.debianPackage).join(' ')}`,
    );
  }
  for (const m of missing) {
    process.stderr.write(`servers: ${m.binary} not found — suites that need ${LABEL[m.server]} are skipped (apt-get install ${m.debianPackage})\n`);
  }

  const wanted = SERVER_NAMES.filter((n) => !missing.some((m) => m.server === n));
  const started = Date.now();
  const timings: string[] = [];
  const results = await Promise.allSettled(
    wanted.map(async (n) => {
      const t0 = Date.now();
      const handle = await startServer(n);
      timings.push(`${n} ${Date.now() - t0} ms`);
      return handle;
    }),
  );
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    // Leave nothing behind: stop whatever did start before failing the run.
    await stopAllServers();
    throw new AggregateError(
      failures.map((f) => f.reason),
      `servers: could not start test servers:\n${failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join('\n')}`,
    );
  }

  const handles: Partial<Record<ServerName, ServerHandle>> = {};
  for (const n of SERVER_NAMES) delete process.env[SERVER_ENV[n]];
  results.forEach((r, i) => {
    if (r.status !== 'fulfilled') return;
    const name = wanted[i];
    handles[name] = r.value;
    process.env[SERVER_ENV[name]] = r.value.url;
  });
  const state: RunServers = { handles, startedMs: Date.now() - started };
  setRunServers(state);
  if (process.env.TEST_SERVERS_VERBOSE) {
    process.stderr.write(`servers: started in ${state.startedMs} ms (${timings.join(', ')})\n`);
  }
}

const LABEL: Record<ServerName, string> = { postgres: 'PostgreSQL', redis: 'Redis', influx: 'InfluxDB' };
