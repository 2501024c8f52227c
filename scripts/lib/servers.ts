// Real PostgreSQL, Redis and InfluxDB servers for the integration and e2e tiers (test/harness re-exports
// this file) and the benchmarks (which run from dist/), started from the
// Debian binaries on free loopback ports inside temp dirs. Every instance can be stopped and started
// again on the same data dir and port (tests prove that data survives a restart), and destroy()
// stops it and removes its dir.
//
// Nothing is left behind: each server runs in its own process group; stopping signals the group
// (graceful, then SIGKILL after a timeout). A synchronous 'exit' hook kills whatever is still
// running when the Node process exits, and a small detached reaper (sh) kills the groups and
// removes the dirs if the Node process dies without running either (SIGKILL, OOM, crash).
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  appendFileSync,
  chownSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

export type ServerName = 'postgres' | 'redis' | 'influx';

export interface MissingBinary {
  server: ServerName;
  /** What was looked for, e.g. `redis-server`. */
  binary: string;
  /** The Debian package that provides it. */
  debianPackage: string;
}

export interface ServerHandle {
  readonly name: ServerName;
  /** postgres://postgres@127.0.0.1:PORT/postgres, redis://127.0.0.1:PORT or http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** Temp dir holding the data, config and log of this instance. */
  readonly dir: string;
  readonly running: boolean;
  readonly pid: number | undefined;
  /** Starts the stopped instance again on the same data dir and port; resolves once it serves. */
  start(): Promise<void>;
  /** Graceful stop (SIGKILL after the timeout); keeps the data dir. No-op when stopped. */
  stop(): Promise<void>;
  /** stop() then start(). */
  restart(): Promise<void>;
  /** stop() then remove the temp dir. The handle is unusable afterwards. */
  destroy(): Promise<void>;
  /** The last lines the server logged (for error messages). */
  logTail(lines?: number): string;
}

export interface StartOptions {
  /** How long to wait for the server to accept connections (default 30 s). */
  startTimeoutMs?: number;
  /** How long stop() waits after the graceful signal before SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
}

export interface RedisStartOptions extends StartOptions {
  /** Turn on the append-only file so that data survives stop()/start() (default false: no persistence). */
  appendonly?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Binaries

const PG_BIN_DIRS = ['/usr/lib/postgresql/15/bin'];
const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

// Under `npm run test:time-travel` every process runs on a moved clock through libfaketime (LD_PRELOAD
// and FAKETIME*). PostgreSQL shares it, as a database on an NTP-synchronised machine would; Redis cannot
// (libfaketime recurses in its allocator at start) and InfluxDB, a Go program, ignores it: they keep the
// real clock, like servers on another machine. The platform never relies on their clocks.
const FAKE_CLOCK_VARS = (name: string): boolean => name === 'LD_PRELOAD' || name.startsWith('FAKETIME');
function fakeClockEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => FAKE_CLOCK_VARS(name)));
}
function realClockEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !FAKE_CLOCK_VARS(name)));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false; // absent or not executable: both mean "not found" here
  }
}

function findInPath(binary: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS];
  return dirs.map((d) => join(d, binary)).find(isExecutable);
}

function pgBinDir(): string | undefined {
  const fromEnv = process.env.TEST_PG_BIN_DIR;
  const candidates = fromEnv ? [fromEnv] : [...PG_BIN_DIRS];
  if (!fromEnv && existsSync('/usr/lib/postgresql')) {
    // Any other installed major version, newest first, after 15.
    const others = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v) && v !== '15')
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => `/usr/lib/postgresql/${v}/bin`);
    candidates.push(...others);
  }
  return candidates.find((d) => isExecutable(join(d, 'initdb')) && isExecutable(join(d, 'postgres')));
}

function binaryPath(name: ServerName): string | undefined {
  switch (name) {
    case 'postgres': {
      const dir = pgBinDir();
      return dir ? join(dir, 'postgres') : undefined;
    }
    case 'redis':
      return findInPath('redis-server');
    case 'influx':
      return findInPath('influxd');
  }
}

const PACKAGES: Record<ServerName, { binary: string; debianPackage: string }> = {
  postgres: { binary: 'postgres', debianPackage: 'postgresql' },
  redis: { binary: 'redis-server', debianPackage: 'redis-server' },
  influx: { binary: 'influxd', debianPackage: 'influxdb' },
};

/** Which of the three server binaries are absent, with the Debian package to install for each. */
export function missingBinaries(): MissingBinary[] {
  const names: ServerName[] = ['postgres', 'redis', 'influx'];
  return names.filter((n) => binaryPath(n) === undefined).map((n) => ({ server: n, ...PACKAGES[n] }));
}

function requireBinary(name: ServerName): string {
  const path = binaryPath(name);
  if (!path) {
    const p = PACKAGES[name];
    throw new Error(`servers: ${p.binary} not found (apt-get install ${p.debianPackage})`);
  }
  return path;
}

// ---------------------------------------------------------------------------------------------
// Ports and waiting

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error(`freePort: unexpected server address ${String(addr)}`));
        return;
      }
      srv.close((err) => (err ? reject(err) : resolve(addr.port)));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Sends one RESP command and resolves with the first reply line (e.g. `+PONG`, `-LOADING ...`). */
function redisCommand(port: number, command: string[], timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (err: Error | null, line?: string) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(line ?? '');
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`redis on port ${port}: no reply within ${timeoutMs} ms`)));
    socket.once('error', (err) => done(err));
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const eol = buf.indexOf('\r\n');
      if (eol >= 0) done(null, buf.slice(0, eol));
    });
    socket.once('connect', () => {
      socket.write(`*${command.length}\r\n` + command.map((c) => `$${Buffer.byteLength(c)}\r\n${c}\r\n`).join(''));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: exit hook and reaper

interface Tracked {
  pgid: number;
  dir: string;
}

const live = new Map<string, Tracked>(); // dir -> running process group
const ownedDirs = new Set<string>(); // every dir not yet removed
let registryDir: string | undefined;
let reaper: ChildProcess | undefined;
let exitHookInstalled = false;

const REAPER_SCRIPT = `
parent="$1"; reg="$2"
trap '' INT HUP
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
if [ -f "$reg/pgids" ]; then while read -r g; do [ -n "$g" ] && kill -9 "-$g" 2>/dev/null; done < "$reg/pgids"; fi
sleep 0.2
if [ -f "$reg/dirs" ]; then while read -r d; do [ -n "$d" ] && rm -rf -- "$d"; done < "$reg/dirs"; fi
rm -rf -- "$reg"
`;

function writeRegistry(): void {
  if (registryDir === undefined) return;
  writeFileSync(join(registryDir, 'pgids'), [...live.values()].map((t) => `${t.pgid}\n`).join(''));
  writeFileSync(join(registryDir, 'dirs'), [...ownedDirs].map((d) => `${d}\n`).join(''));
}

function ensureWatchdogs(): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', killEverythingSync);
  }
  if (reaper === undefined) {
    registryDir = mkdtempSync(join(tmpdir(), 'simfleet-reaper-'));
    writeRegistry();
    reaper = spawn('sh', ['-c', REAPER_SCRIPT, 'simfleet-reaper', String(process.pid), registryDir], {
      detached: true,
      stdio: 'ignore',
    });
    reaper.unref();
  }
}

/** Called whenever the set of instances shrinks: once nothing is left, the reaper is not needed. */
function releaseWatchdogsIfIdle(): void {
  writeRegistry();
  if (ownedDirs.size > 0 || reaper === undefined) return;
  const r = reaper;
  reaper = undefined;
  if (r.pid !== undefined && r.exitCode === null) {
    try {
      process.kill(-r.pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
  if (registryDir !== undefined) rmSync(registryDir, { recursive: true, force: true });
  registryDir = undefined;
}

function killEverythingSync(): void {
  for (const t of live.values()) {
    try {
      process.kill(-t.pgid, 'SIGKILL');
    } catch {
      // already gone; nothing else can be done while the process exits
    }
  }
  live.clear();
  for (const d of ownedDirs) rmSync(d, { recursive: true, force: true });
  ownedDirs.clear();
  releaseWatchdogsIfIdle();
}

// ---------------------------------------------------------------------------------------------
// Generic managed server

interface RunAs {
  uid: number;
  gid: number;
}

interface Spec {
  name: ServerName;
  dir: string;
  port: number;
  url: string;
  command: string;
  args: string[];
  runAs?: RunAs;
  env?: NodeJS.ProcessEnv;
  /** Signal for a graceful stop (postgres: SIGINT = fast shutdown). */
  stopSignal: NodeJS.Signals;
  /** Resolves when the server serves; throws (retried until the timeout) while it does not. */
  probe: () => Promise<void>;
  startTimeoutMs: number;
  stopTimeoutMs: number;
}

class ManagedServer implements ServerHandle {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private destroyed = false;
  readonly logFile: string;

  constructor(private readonly spec: Spec) {
    this.logFile = join(spec.dir, `${spec.name}.log`);
  }

  get name(): ServerName {
    return this.spec.name;
  }
  get url(): string {
    return this.spec.url;
  }
  get port(): number {
    return this.spec.port;
  }
  get dir(): string {
    return this.spec.dir;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  logTail(lines = 30): string {
    if (!existsSync(this.logFile)) return '(no log)';
    return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error(`${this.spec.name}: start() after destroy()`);
    if (this.running) return;
    const { spec } = this;
    ensureWatchdogs();
    appendFileSync(this.logFile, `--- start ${new Date().toISOString()} ${spec.command} ${spec.args.join(' ')}\n`);
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, {
        cwd: spec.dir,
        env: spec.env ?? process.env,
        stdio: ['ignore', fd, fd],
        detached: true, // own process group: stop() signals the server and all its children
        ...(spec.runAs ?? {}),
      });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    let exitInfo: string | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = signal ? `killed by ${signal}` : `exited with code ${String(code)}`;
        resolve();
      });
      child.once('error', (err) => {
        exitInfo = `failed to spawn: ${err.message}`;
        resolve();
      });
    });
    // Don't keep the event loop alive for the server alone.
    child.unref();
    if (child.pid !== undefined) {
      live.set(spec.dir, { pgid: child.pid, dir: spec.dir });
      writeRegistry();
    }

    const deadline = Date.now() + spec.startTimeoutMs;
    let lastError: string;
    for (;;) {
      if (exitInfo !== undefined) {
        live.delete(spec.dir);
        writeRegistry();
        throw new Error(`${spec.name} on port ${spec.port} ${exitInfo} while starting. Log (${this.logFile}):\n${this.logTail()}`);
      }
      try {
        await spec.probe();
        return;
      } catch (err) {
        lastError = errorMessage(err);
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(
          `${spec.name} on port ${spec.port} did not serve within ${spec.startTimeoutMs} ms (last probe: ${lastError}). Log (${this.logFile}):\n${this.logTail()}`,
        );
      }
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    const pgid = child.pid;
    if (this.running && pgid !== undefined) {
      signalGroup(pgid, this.spec.stopSignal);
      const timedOut = await exitsWithin(this.exited, this.spec.stopTimeoutMs);
      if (timedOut) {
        appendFileSync(this.logFile, `--- no exit ${this.spec.stopTimeoutMs} ms after ${this.spec.stopSignal}: SIGKILL\n`);
        signalGroup(pgid, 'SIGKILL');
        await this.exited;
      }
    }
    await this.exited;
    // Children of the server (postgres backends, ...) share its group; make sure none survives.
    if (pgid !== undefined) await waitGroupGone(pgid, this.spec.stopTimeoutMs);
    this.child = undefined;
    live.delete(this.spec.dir);
    writeRegistry();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    try {
      await this.stop();
    } finally {
      this.destroyed = true;
      instances.delete(this);
      discardDir(this.spec.dir);
    }
  }
}

/** Resolves false when `exited` settles within `ms`, true on time-out (the timer never outlives it). */
async function exitsWithin(exited: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), ms);
  });
  try {
    return await Promise.race([exited.then(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

async function waitGroupGone(pgid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) {
      signalGroup(pgid, 'SIGKILL');
      await sleep(100);
      if (groupAlive(pgid)) throw new Error(`process group ${pgid} survived SIGKILL`);
      return;
    }
    await sleep(25);
  }
}

const instances = new Set<ManagedServer>();

/** Destroys every instance started by this process (stop + remove dir). Errors are collected and rethrown. */
export async function stopAllServers(): Promise<void> {
  const results = await Promise.allSettled([...instances].map((s) => s.destroy()));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    throw new AggregateError(
      failures.map((f) => f.reason),
      `servers: ${failures.length} instance(s) failed to stop: ${failures.map((f) => errorMessage(f.reason)).join('; ')}`,
    );
  }
}

function makeDir(name: ServerName, owner?: RunAs): string {
  const dir = mkdtempSync(join(tmpdir(), `simfleet-${name}-`));
  ownedDirs.add(dir);
  if (owner) chownSync(dir, owner.uid, owner.gid);
  ensureWatchdogs();
  writeRegistry();
  return dir;
}

function discardDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  ownedDirs.delete(dir);
  releaseWatchdogsIfIdle();
}

/** Retries a first start on another port when the free port was taken in the meantime. */
async function startFresh(build: (port: number) => Promise<ManagedServer>): Promise<ManagedServer> {
  for (let attempt = 1; ; attempt++) {
    const server = await build(await freePort());
    instances.add(server);
    try {
      await server.start();
      return server;
    } catch (err) {
      const inUse = /address already in use/i.test(server.logTail(50));
      await server.destroy();
      if (!inUse || attempt >= 3) throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

function postgresUser(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  // initdb and postgres refuse to run as root: run them as the `postgres` system user.
  let entry: string;
  try {
    entry = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim();
  } catch (err) {
    throw new Error(
      `servers: running as root, so PostgreSQL must run as the 'postgres' user, which does not exist (apt-get install postgresql creates it): ${errorMessage(err)}`,
      { cause: err },
    );
  }
  const [, , uid, gid] = entry.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startPostgres(options: StartOptions = {}): Promise<ServerHandle> {
  const postgresBin = requireBinary('postgres');
  const binDir = join(postgresBin, '..');
  const runAs = postgresUser();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', TZ: 'UTC', ...fakeClockEnv() };
  return startFresh(async (port) => {
    const dir = makeDir('postgres', runAs);
    const dataDir = join(dir, 'data');
    try {
      await initdb(join(binDir, 'initdb'), dataDir, dir, env, runAs);
    } catch (err) {
      discardDir(dir);
      throw err;
    }
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    return new ManagedServer({
      name: 'postgres',
      dir,
      port,
      url,
      command: postgresBin,
      args: [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${dir}`,
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=300',
        '-c',
        'shared_buffers=256MB',
        // Commit times of rows (pg_xact_commit_timestamp): the ingestion benchmark's "stored" instant.
        '-c',
        'track_commit_timestamp=on',
        '-c',
        'log_min_messages=warning',
        '-c',
        'log_destination=stderr',
        '-c',
        'logging_collector=off',
      ],
      env,
      runAs,
      stopSignal: 'SIGINT', // fast shutdown: SIGTERM ("smart") would wait for clients to disconnect
      probe: async () => {
        const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
        await client.connect();
        try {
          await client.query('SELECT 1');
        } finally {
          await client.end();
        }
      },
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
    });
  });
}

/** Runs initdb without blocking the event loop (the other servers start meanwhile). */
function initdb(bin: string, dataDir: string, cwd: string, env: NodeJS.ProcessEnv, runAs: RunAs | undefined): Promise<void> {
  const args = ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync', '--no-instructions'];
  return new Promise((resolve, reject) => {
    execFile(bin, args, { cwd, env, ...(runAs ?? {}) }, (err, stdout, stderr) => {
      if (err) reject(new Error(`servers: initdb failed in ${dataDir}: ${err.message}\n${stdout}${stderr}`));
      else resolve();
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Redis

export async function startRedis(options: RedisStartOptions = {}): Promise<ServerHandle> {
  const bin = requireBinary('redis');
  return startFresh(async (port) => {
    const dir = makeDir('redis');
    return new ManagedServer({
      name: 'redis',
      dir,
      port,
      url: `redis://127.0.0.1:${port}`,
      command: bin,
      args: [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        options.appendonly ? 'yes' : 'no',
        '--appendfsync',
        'always',
        '--daemonize',
        'no',
        '--protected-mode',
        'no',
        '--loglevel',
        'warning',
        '--logfile',
        '', // stdout, which goes to the log file
      ],
      env: realClockEnv(),
      stopSignal: 'SIGTERM',
      probe: async () => {
        const reply = await redisCommand(port, ['PING']);
        if (reply !== '+PONG') throw new Error(`PING answered ${reply}`);
      },
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
    });
  });
}

// ---------------------------------------------------------------------------------------------
// InfluxDB 1.x

function influxConfig(dir: string, httpPort: number, rpcPort: number): string {
  return `# generated by scripts/lib/servers.ts
reporting-enabled = false
reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  wal-fsync-delay = "0s"
  query-log-enabled = false
  trace-logging-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  suppress-write-log = true
  pprof-enabled = false

[logging]
  level = "warn"
  suppress-logo = true

[continuous_queries]
  log-enabled = false
`;
}

export async function startInflux(options: StartOptions = {}): Promise<ServerHandle> {
  const bin = requireBinary('influx');
  return startFresh(async (port) => {
    const rpcPort = await freePort();
    const dir = makeDir('influx');
    const configFile = join(dir, 'influxdb.conf');
    writeFileSync(configFile, influxConfig(dir, port, rpcPort));
    const url = `http://127.0.0.1:${port}`;
    return new ManagedServer({
      name: 'influx',
      dir,
      port,
      url,
      command: bin,
      args: ['-config', configFile],
      stopSignal: 'SIGTERM',
      probe: async () => {
        const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) });
        if (res.status !== 204) throw new Error(`GET /ping answered ${res.status}`);
      },
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
    });
  });
}

/** Starts the named server with default options. */
export function startServer(name: ServerName): Promise<ServerHandle> {
  switch (name) {
    case 'postgres':
      return startPostgres();
    case 'redis':
      return startRedis();
    case 'influx':
      return startInflux();
  }
}
