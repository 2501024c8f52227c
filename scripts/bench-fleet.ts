/**
 * Fleet benchmark (issue 17): seeds SIMs in one account and data sessions over 30 days, starts the platform
 * in this process and measures over real HTTP every row of the issue's table against its target: get by
 * ICCID and by name, filtered and sorted list pages, `q` search, the summary, the CSV export of the whole
 * fleet, usage reports and network statistics over 30 days, then a bulk suspend. It prints the CPU each
 * request took (this process, PostgreSQL) and the plan of the slowest statement of the request furthest
 * from its target.
 *   npm run bench:fleet [-- --engine postgres|pglite --sims 1000000 --sessions-per-sim 10 --bulk 100000 --requests 300]
 * PostgreSQL: DATABASE_URL when set (the database is modified: use a scratch one), otherwise a temporary
 * PostgreSQL from the Debian binaries (scripts/lib/servers.ts, as the test harness starts it). PGlite: a
 * temporary data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { FleetMaintenance } from '@simfleet/application';
import { startPlatform } from '@simfleet/bootstrap';
import { loadConfig } from '@simfleet/config';
import { withCheckDigit } from '@simfleet/domain';
import { Database } from '@simfleet/persistence';
import { ROLE_NAMES, rolesNamed } from '../apps/platform/src/roles.js';
import { cpuSnapshot, type CpuSnapshot } from './lib/cpu-meter.js';
import { startPostgres } from './lib/servers.js';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'postgres' },
    sims: { type: 'string' },
    'sessions-per-sim': { type: 'string', default: '10' },
    bulk: { type: 'string' },
    requests: { type: 'string', default: '300' },
    /** Measure an account a previous run seeded (with DATABASE_URL): no seeding, no rebuild. */
    account: { type: 'string' },
    /** The most a row may take: it stops there after at least 10 requests, and prints how many it made. */
    'row-seconds': { type: 'string', default: '60' },
  },
});
const ENGINE = values.engine === 'pglite' ? 'pglite' : 'postgres';
const SIMS = Number(values.sims ?? (ENGINE === 'pglite' ? 100_000 : 1_000_000));
const SESSIONS_PER_SIM = Number(values['sessions-per-sim']);
const BULK = Math.min(Number(values.bulk ?? (ENGINE === 'pglite' ? 10_000 : 100_000)), Math.floor(SIMS * 0.6));
const REQUESTS = Number(values.requests);
const ROW_MS = Number(values['row-seconds']) * 1000;
const ADMIN_KEY = 'bench-admin-key-0123456789abcdefghijklmnopqrstu';
const SEED_BATCH = 50_000;
const DAY_MS = 86_400_000;

const COUNTRIES = ['FR', 'DE', 'ES', 'IT', 'GB', 'NL', 'BE', 'PL', 'SE', 'US', 'CA', 'BR', 'MX', 'JP', 'AU', 'IN', 'ZA', 'NG', 'TR', 'CH'];
const NETWORKS = Array.from({ length: 30 }, (_, i) => `Network ${i}`);
const STATUSES = ['active', 'active', 'active', 'active', 'active', 'active', 'active', 'suspended', 'inventory', 'terminated'];
/** Where the sessions happen: MCC, MNC, country, network name. */
const SESSION_NETWORKS: Array<[string, string, string, string]> = [
  ['208', '01', 'FR', 'Orange'],
  ['208', '10', 'FR', 'SFR'],
  ['262', '01', 'DE', 'Telekom'],
  ['262', '02', 'DE', 'Vodafone'],
  ['214', '01', 'ES', 'Vodafone'],
  ['222', '10', 'IT', 'Vodafone'],
  ['234', '15', 'GB', 'Vodafone'],
  ['204', '04', 'NL', 'Vodafone'],
  ['310', '410', 'US', 'AT&T'],
  ['302', '720', 'CA', 'Rogers'],
  ['724', '05', 'BR', 'Claro'],
  ['440', '10', 'JP', 'NTT docomo'],
];
const RATS = ['LTE-M', 'NB-IoT', '4G'];

// ------------------------------------------------------------------------------------------------

interface Target {
  p99?: number;
  seconds?: number;
  perSecond?: number;
}

interface Row {
  label: string;
  target: Target;
  p50?: number;
  p99?: number;
  value: string;
  met: boolean;
  /** How far from the target (p99 / target): the row whose plan is shown is the largest. */
  ratio: number;
  request?: () => Promise<{ status: number }>;
}

const rows: Row[] = [];

async function api(baseUrl: string, key: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  // A pooled connection the server closed while the benchmark was seeding fails once: open a new one.
  const send = () =>
    fetch(`${baseUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const res = await send().catch((error: unknown) => {
    if (error instanceof TypeError && (error.cause as { code?: string } | undefined)?.code === 'ECONNRESET') return send();
    throw error;
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** CPU seconds by role between two snapshots: this process (platform and client), PostgreSQL. */
function cpuSeconds(before: CpuSnapshot, after: CpuSnapshot): Map<string, number> {
  const byRole = new Map<string, number>();
  for (const [pid, { role, seconds }] of after) {
    const name = pid === process.pid ? 'node' : role === 'PostgreSQL' ? 'PostgreSQL' : 'other';
    byRole.set(name, (byRole.get(name) ?? 0) + seconds - (before.get(pid)?.seconds ?? 0));
  }
  return byRole;
}

const cpuText = (byRole: Map<string, number>, per: number, unit: string) =>
  [...byRole]
    .filter(([, s]) => s > 0)
    .map(([role, s]) => `${role} ${((s * 1000) / per).toFixed(2)} ms`)
    .join(', ') + ` CPU ${unit}`;

const mark = (met: boolean) => (met ? '✔' : '✘');

async function measure(
  label: string,
  requests: number,
  target: number,
  request: (i: number) => Promise<{ status: number; body?: unknown }>,
): Promise<void> {
  for (let i = 0; i < 5; i++) await request(i); // warm-up
  const times: number[] = [];
  const before = cpuSnapshot();
  const began = Date.now();
  for (let i = 0; i < requests && (i < 10 || Date.now() - began < ROW_MS); i++) {
    const start = process.hrtime.bigint();
    const res = await request(i + 5);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (res.status !== 200) throw new Error(`${label}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
  const cpu = cpuSeconds(before, cpuSnapshot());
  const n = times.length;
  times.sort((a, b) => a - b);
  const p50 = percentile(times, 50);
  const p99 = percentile(times, 99);
  const met = p99 <= target;
  const value = `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`;
  rows.push({ label, target: { p99: target }, p50, p99, value, met, ratio: p99 / target, request: () => request(n + 7) });
  console.log(
    `${label.padEnd(78)} n=${String(n).padStart(4)}  ${value.padEnd(32)} target p99 ≤ ${target} ms ${mark(met)}  (${cpuText(cpu, n, 'per request')})`,
  );
}

/** A 32-bit integer hash (Murmur3 finaliser): deterministic, well spread. */
function hash(n: number): number {
  let x = n >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

const iccidAt = (i: number) => withCheckDigit(`8949${String(i).padStart(14, '0')}`);
const statusAt = (i: number) => STATUSES[hash(i * 31 + 1) % STATUSES.length];

async function seedSims(db: Database, accountId: string, groupIds: string[]): Promise<void> {
  const now = Date.now();
  for (let from = 0; from < SIMS; from += SEED_BATCH) {
    const cols: unknown[][] = Array.from({ length: 12 }, () => []);
    for (let i = from; i < Math.min(SIMS, from + SEED_BATCH); i++) {
      // Independent pseudo-random attributes (hash of the serial): no artificial correlation between filters.
      const h = (salt: number) => hash(i * 31 + salt);
      const status = statusAt(i);
      const seen = status === 'active' || status === 'suspended';
      cols[0].push(iccidAt(i));
      cols[1].push(`26201${String(i).padStart(10, '0')}`);
      cols[2].push(`+4915${String(i).padStart(10, '0')}`);
      cols[3].push(i % 2 === 0 ? `device-${i}` : null);
      cols[4].push(status);
      cols[5].push(JSON.stringify({ env: ['prod', 'staging', 'dev'][h(2) % 3], site: `s${h(3) % 100}` }));
      cols[6].push(h(4) % 5 === 0 ? null : groupIds[h(5) % groupIds.length]);
      cols[7].push(seen ? COUNTRIES[h(6) % COUNTRIES.length] : null);
      cols[8].push(seen ? NETWORKS[h(7) % NETWORKS.length] : null);
      cols[9].push(seen ? new Date(now - (h(8) % 2_592_000) * 1000).toISOString() : null);
      cols[10].push(h(9) % 10 === 3);
      cols[11].push(new Date(now - (SIMS - i) * 1000).toISOString());
    }
    await db.query(
      `insert into sims (iccid, imsi, msisdn, account_id, name, status, tags, group_id, country, network, last_seen_at, end_user_device, created_at, form_factor)
       select iccid, imsi, msisdn, $13, name, status, tags::jsonb, group_id, country, network, last_seen::timestamptz, eud, created::timestamptz, '4FF'
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::boolean[], $12::text[])
           as t(iccid, imsi, msisdn, name, status, tags, group_id, country, network, last_seen, eud, created)`,
      [...cols, accountId],
    );
  }
  await db.exec('analyze sims');
}

/**
 * SESSIONS_PER_SIM sessions per SIM in the usage ledger over the 30 days [from, from + 30 d), generated in
 * SQL; a SIM stays on its home network four times out of five. The ledger triggers are off while seeding:
 * the rollups are then built by the repair (fleet.repair with a rebuild), which is timed too.
 */
async function seedSessions(db: Database, accountId: string, from: Date): Promise<void> {
  const columns = [0, 1, 2, 3].map((c) => SESSION_NETWORKS.map((n) => n[c]));
  const step = Math.max(1, Math.floor(SEED_BATCH / Math.max(1, SESSIONS_PER_SIM / 10)));
  for (let lo = 0; lo < SIMS; lo += step) {
    await db.transaction(async (tx) => {
      await tx.query(`set local session_replication_role = replica`);
      await tx.query(
        `insert into usage_ledger (iccid, session_id, account_id, started_at, ended_at, bytes_up, bytes_down, mcc, mnc, country, network, rat)
         select s.iccid, 'bench-' || g, s.account_id, t.started, t.started + interval '10 minutes', x.h % 200000, (x.h / 7) % 2000000,
                ($5::text[])[1 + n.i], ($6::text[])[1 + n.i], ($7::text[])[1 + n.i], ($8::text[])[1 + n.i], ($9::text[])[1 + (x.home / 13) % 3]
           from sims s
          cross join generate_series(0, $10::int - 1) as g
          cross join lateral (select abs(hashtext(s.iccid || ':' || g)::bigint) as h, abs(hashtext(s.iccid)::bigint) as home) as x
          cross join lateral (select (case when x.h % 5 = 0 then x.h / 5 else x.home end) % $11::int as i) as n
          cross join lateral (select $4::timestamptz + (x.h % ${30 * 86_400}) * interval '1 second' as started) as t
          where s.account_id = $1 and s.iccid >= $2 and s.iccid < $3`,
        [accountId, iccidAt(lo), iccidAt(Math.min(SIMS, lo + step)), from, ...columns, RATS, SESSIONS_PER_SIM, SESSION_NETWORKS.length],
      );
    });
  }
}

/** Every statement the platform runs through its Database while `capturing`, with its time. */
function captureQueries(db: Database): { start(): void; stop(): Array<{ sql: string; params: readonly unknown[]; ms: number }> } {
  let captured: Array<{ sql: string; params: readonly unknown[]; ms: number }> | null = null;
  const original = db.query.bind(db);
  db.query = (async (sql: string, params: readonly unknown[] = []) => {
    const start = process.hrtime.bigint();
    const result = await original(sql, params);
    captured?.push({ sql, params, ms: Number(process.hrtime.bigint() - start) / 1e6 });
    return result;
  }) as Database['query'];
  return {
    start: () => void (captured = []),
    stop: () => {
      const list = captured ?? [];
      captured = null;
      return list;
    },
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const temporary = ENGINE === 'postgres' && !process.env.DATABASE_URL ? await startPostgres({ startTimeoutMs: 120_000 }) : undefined;
  const databaseUrl = ENGINE === 'postgres' ? (process.env.DATABASE_URL ?? temporary!.url) : '';
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-fleet-'));
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    PORT: '0',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_API_KEY: ADMIN_KEY,
    LOG_LEVEL: 'warn',
    // The benchmark measures latency, not the per-key rate limit.
    RATE_LIMIT_PER_MINUTE: '100000000',
  });
  const platform = await startPlatform(config, rolesNamed(ROLE_NAMES), pino({ level: 'warn' }));
  const db = platform.app.get(Database);
  const capture = captureQueries(db);
  try {
    const base = platform.httpUrl;
    const accountId = values.account ?? ((await api(base, ADMIN_KEY, 'POST', '/v1/accounts', { name: 'Bench fleet' })).body.id as string);
    const key = (await api(base, ADMIN_KEY, 'POST', `/v1/accounts/${accountId}/api-keys`, { name: 'bench', scopes: ['write'] })).body.key as string;
    const groupIds: string[] = [];
    if (values.account)
      groupIds.push(
        ...(await db.query<{ id: string }>(`select id from sim_groups where account_id = $1 order by name`, [accountId])).map((g) => g.id),
      );
    else
      for (let g = 0; g < 20; g++)
        groupIds.push((await api(base, key, 'POST', '/v1/groups', { name: `Group ${g}`, monthlyDataLimitBytes: 1_000_000 * (g + 1) })).body.id);

    console.log(`fleet benchmark on ${ENGINE === 'postgres' ? 'PostgreSQL' : 'PGlite'}: ${SIMS.toLocaleString('en')} SIMs in one account`);
    // Reports over the 30 whole UTC days before today, as the console asks them.
    const to = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    const from = new Date(to.getTime() - 30 * DAY_MS);
    const sessions = SIMS * SESSIONS_PER_SIM;
    if (values.account) console.log(`measuring account ${accountId} as a previous run seeded it\n`);
    else {
      let t = Date.now();
      await seedSims(db, accountId, groupIds);
      console.log(
        `seeded ${SIMS.toLocaleString('en')} SIMs in ${((Date.now() - t) / 1000).toFixed(1)} s (batched INSERT … SELECT FROM unnest, counters by their triggers, ANALYZE)`,
      );
      t = Date.now();
      await seedSessions(db, accountId, from);
      console.log(
        `seeded ${sessions.toLocaleString('en')} data sessions over 30 days in ${((Date.now() - t) / 1000).toFixed(1)} s (INSERT … SELECT in SQL, ledger triggers off)`,
      );
      t = Date.now();
      await platform.app.get(FleetMaintenance).repair(accountId, true);
      await db.exec('analyze');
      console.log(
        `rebuilt the usage rollups from ${sessions.toLocaleString('en')} sessions in ${((Date.now() - t) / 1000).toFixed(1)} s (fleet.repair with rebuildRollups)\n`,
      );
    }

    const pick = (i: number) => (i * 7_919 + 13) % SIMS;
    const group = (i: number) => groupIds[i % groupIds.length];
    const country = (i: number) => COUNTRIES[i % COUNTRIES.length];
    const network = (i: number) => encodeURIComponent(NETWORKS[i % NETWORKS.length]);
    const recent = new Date(Date.now() - DAY_MS).toISOString();
    const get = (route: string) => api(base, key, 'GET', route);

    await measure('GET /v1/sims/{iccid}', REQUESTS, 5, (i) => get(`/v1/sims/${iccidAt(pick(i))}`));
    await measure('GET /v1/sims/{name}', REQUESTS, 5, (i) => get(`/v1/sims/device-${pick(i) - (pick(i) % 2)}`));

    const listN = Math.max(50, Math.floor(REQUESTS / 3));
    const lists: Array<[string, (i: number) => string]> = [
      ['status=active', () => 'status=active'],
      ['status=suspended&sort=-lastSeenAt', () => 'status=suspended&sort=-lastSeenAt'],
      ['tag=env:prod&sort=name', () => 'tag=env:prod&sort=name'],
      ['groupId=…&sort=-createdAt', (i) => `groupId=${group(i)}&sort=-createdAt`],
      ['country=…&sort=-lastSeenAt', (i) => `country=${country(i)}&sort=-lastSeenAt`],
      ['network=…', (i) => `network=${network(i)}`],
      ['lastSeenAfter=<24 h ago>&sort=-lastSeenAt', () => `lastSeenAfter=${encodeURIComponent(recent)}&sort=-lastSeenAt`],
      ['status=active&country=…&tag=env:prod&sort=-lastSeenAt', (i) => `status=active&country=${country(i)}&tag=env:prod&sort=-lastSeenAt`],
      ['status=active&groupId=…&sort=name', (i) => `status=active&groupId=${group(i)}&sort=name`],
      ['status=active,suspended&network=…&country=…', (i) => `status=active,suspended&network=${network(i)}&country=${country(i + 3)}`],
      [
        'almost nothing: status=suspended&country&network&tag&groupId',
        (i) => `status=suspended&country=${country(i)}&network=${network(i + 7)}&tag=env:dev&groupId=${group(i + 5)}&sort=-lastSeenAt`,
      ],
    ];
    for (const [label, query] of lists) await measure(`GET /v1/sims?${label}&limit=100`, listN, 50, (i) => get(`/v1/sims?${query(i)}&limit=100`));
    // The second page of a walk, from the first page's cursor.
    const firstPage = await get('/v1/sims?status=active&sort=-lastSeenAt&limit=100');
    await measure('GET /v1/sims?status=active&sort=-lastSeenAt&limit=100, next page (cursor)', listN, 50, () =>
      get(`/v1/sims?status=active&sort=-lastSeenAt&limit=100&cursor=${encodeURIComponent(firstPage.body.nextCursor as string)}`),
    );

    await measure('GET /v1/sims?q=<14-digit ICCID prefix>&limit=100', REQUESTS, 20, (i) =>
      get(`/v1/sims?q=${iccidAt(pick(i)).slice(0, 14)}&limit=100`),
    );
    await measure('GET /v1/sims?q=<MSISDN prefix>&limit=100', REQUESTS, 20, (i) =>
      get(`/v1/sims?q=${encodeURIComponent(`+4915${String(pick(i)).padStart(10, '0').slice(0, 7)}`)}&limit=100`),
    );
    await measure('GET /v1/sims?q=<name substring>&limit=100', REQUESTS, 100, (i) => get(`/v1/sims?q=ice-${pick(i) % 100_000}&limit=100`));
    await measure('GET /v1/sims/summary', REQUESTS, 20, () => get('/v1/sims/summary'));

    // Usage reports and network statistics over 30 whole days (from the rollups, whatever the telemetry store).
    const range = `from=${from.toISOString()}&to=${to.toISOString()}`;
    const reportN = Math.max(30, Math.floor(REQUESTS / 6));
    for (const groupBy of ['network', 'country', 'rat', 'group'])
      await measure(`GET /v1/reports/usage?groupBy=${groupBy} (30 days, ${sessions.toLocaleString('en')} sessions)`, reportN, 500, () =>
        get(`/v1/reports/usage?groupBy=${groupBy}&${range}`),
      );
    await measure(`GET /v1/network-stats (30 days)`, reportN, 500, () => get(`/v1/network-stats?${range}`));

    // CSV export of the whole fleet, streamed: time, lines, and the growth of this process's memory.
    {
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
      const before = cpuSnapshot();
      const start = Date.now();
      const res = await fetch(`${base}/v1/sims/export`, { headers: { authorization: `Bearer ${key}` } });
      if (res.status !== 200 || !res.body) throw new Error(`export: HTTP ${res.status}`);
      let lines = 0;
      let bytes = 0;
      let firstByteMs = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (!bytes) firstByteMs = Date.now() - start;
        bytes += chunk.length;
        for (const byte of chunk) if (byte === 10) lines++;
      }
      const seconds = (Date.now() - start) / 1000;
      clearInterval(sampler);
      const cpu = cpuSeconds(before, cpuSnapshot());
      const growth = (rssPeak - rssBefore) / 2 ** 20;
      const met = seconds <= 30 && lines - 1 === SIMS;
      const value = `${(lines - 1).toLocaleString('en')} SIMs, ${(bytes / 2 ** 20).toFixed(0)} MiB in ${seconds.toFixed(1)} s (first byte ${firstByteMs} ms), process RSS +${growth.toFixed(0)} MiB at peak`;
      rows.push({ label: 'GET /v1/sims/export (every SIM, CSV)', target: { seconds: 30 }, value, met, ratio: seconds / 30 });
      console.log(
        `${'GET /v1/sims/export (every SIM, CSV)'.padEnd(78)} ${value}  target ≤ 30 s, streamed ${mark(met)}  (${cpuText(cpu, 1, 'in all')})`,
      );
    }

    // Bulk suspend of BULK active SIMs through the job and the worker, to `completed`.
    {
      const targets: string[] = [];
      for (let i = 0; targets.length < BULK && i < SIMS; i++) if (statusAt(i) === 'active') targets.push(iccidAt(i));
      const reason = `bench ${Date.now()}`;
      const before = cpuSnapshot();
      const bulkStart = Date.now();
      const accepted = await api(base, key, 'POST', '/v1/sims/bulk', { action: 'suspend', iccids: targets, reason });
      if (accepted.status !== 202) throw new Error(`bulk: HTTP ${accepted.status} ${JSON.stringify(accepted.body)}`);
      const acceptedMs = Date.now() - bulkStart;
      let job: { status: string; processed: number; succeeded: number; failed: number; total: number };
      for (;;) {
        job = (await get(`/v1/jobs/${accepted.body.id}`)).body;
        if (job.status === 'completed' || job.status === 'failed') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const seconds = (Date.now() - bulkStart) / 1000;
      const cpu = cpuSeconds(before, cpuSnapshot());
      const [history] = await db.query<{ n: number }>(`select count(*)::int as n from sim_history where account_id = $1 and reason = $2`, [
        accountId,
        reason,
      ]);
      const [events] = await db.query<{ n: number }>(
        `select count(*)::int as n from events where account_id = $1 and occurred_at >= $2 and subject like '8949%' and type like 'sim.%'`,
        [accountId, new Date(bulkStart)],
      );
      const rate = targets.length / seconds;
      const met =
        rate >= 5_000 && job.status === 'completed' && job.succeeded === targets.length && history.n === targets.length && events.n >= targets.length;
      const value =
        `${targets.length.toLocaleString('en')} SIMs accepted in ${acceptedMs} ms, ${job.status} in ${seconds.toFixed(1)} s = ${Math.round(rate).toLocaleString('en')} SIMs/s ` +
        `(succeeded ${job.succeeded}, failed ${job.failed}; history rows ${history.n}, SIM events ${events.n})`;
      rows.push({ label: `POST /v1/sims/bulk suspend`, target: { perSecond: 5_000 }, value, met, ratio: 5_000 / rate });
      console.log(
        `${'POST /v1/sims/bulk suspend'.padEnd(78)} ${value}  target ≥ 5,000 SIMs/s ${mark(met)}  (${cpuText(cpu, targets.length / 1000, 'per 1,000 SIMs')})`,
      );
    }

    // The plan of the slowest statement of the request furthest from its target.
    const worst = rows.filter((r) => r.request).sort((a, b) => b.ratio - a.ratio)[0];
    if (worst?.request) {
      capture.start();
      await worst.request();
      const statements = capture.stop().sort((a, b) => b.ms - a.ms);
      console.log(`\nslowest request relative to its target: ${worst.label} (${worst.value}); its ${statements.length} statements, slowest first:`);
      for (const s of statements.slice(0, 3)) console.log(`  ${s.ms.toFixed(1)} ms  ${s.sql.replace(/\s+/g, ' ').slice(0, 160)}`);
      const slowest = statements[0];
      if (slowest && /^\s*(select|with)/i.test(slowest.sql)) {
        const plan = await db.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers, costs off) ${slowest.sql}`, slowest.params);
        console.log('  plan:');
        for (const line of plan) console.log(`    ${line['QUERY PLAN']}`);
      }
    }

    console.log('\nsummary (target met?):');
    for (const r of rows) console.log(`  ${mark(r.met)} ${r.label}: ${r.value}`);
    console.log(
      `\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}, ${new Date().toISOString()}; total ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    await platform.close();
    await temporary?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
