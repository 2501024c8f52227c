/**
 * Fleet benchmark: seeds 1,000,000 SIMs into PostgreSQL, starts the platform in this process and measures,
 * over real HTTP, p50/p99 latency of get-by-ICCID, get-by-name, a filtered list page and the summary, then
 * the time of a 100,000-SIM bulk suspend.
 *   npm run bench:fleet [-- --sims 1000000 --bulk 100000 --requests 500]
 * Uses DATABASE_URL when set (the database is modified: use a scratch one); otherwise starts a temporary
 * PostgreSQL 15 from the Debian binaries (scripts/lib/servers.ts, as the test harness does) and removes it afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { startPlatform } from '@simfleet/bootstrap';
import { ROLE_NAMES, rolesNamed } from '../apps/platform/src/roles.js';
import { loadConfig } from '@simfleet/config';
import { withCheckDigit } from '@simfleet/domain';
import { startPostgres } from './lib/servers.js';

const { values } = parseArgs({
  options: {
    sims: { type: 'string', default: '1000000' },
    bulk: { type: 'string', default: '100000' },
    requests: { type: 'string', default: '500' },
  },
});
const SIMS = Number(values.sims);
const BULK = Number(values.bulk);
const REQUESTS = Number(values.requests);
const ADMIN_KEY = 'bench-admin-key-0123456789abcdefghijklmnopqrstu';
const SEED_BATCH = 50_000;

const COUNTRIES = ['FR', 'DE', 'ES', 'IT', 'GB', 'NL', 'BE', 'PL', 'SE', 'US', 'CA', 'BR', 'MX', 'JP', 'AU', 'IN', 'ZA', 'NG', 'TR', 'CH'];
const NETWORKS = Array.from({ length: 30 }, (_, i) => `Network ${i}`);
const STATUSES = ['active', 'active', 'active', 'active', 'active', 'active', 'active', 'suspended', 'inventory', 'terminated'];

// ------------------------------------------------------------------------------------------------

async function api(baseUrl: string, key: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function measure(label: string, n: number, request: (i: number) => Promise<{ status: number }>): Promise<string> {
  for (let i = 0; i < 10; i++) await request(i); // warm-up
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    const res = await request(i + 10);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (res.status !== 200) throw new Error(`${label}: HTTP ${res.status}`);
  }
  times.sort((a, b) => a - b);
  const line = `${label.padEnd(44)} n=${String(n).padStart(4)}  p50 ${percentile(times, 50).toFixed(1).padStart(7)} ms  p99 ${percentile(times, 99).toFixed(1).padStart(7)} ms`;
  console.log(line);
  return line;
}

/** A 32-bit integer hash (Murmur3 finaliser): deterministic, well spread. */
function hash(n: number): number {
  let x = n >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

async function seed(url: string, accountId: string, groupIds: string[]): Promise<{ iccidAt: (i: number) => string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const iccidAt = (i: number) => withCheckDigit(`8949${String(i).padStart(14, '0')}`);
  const now = Date.now();
  try {
    for (let from = 0; from < SIMS; from += SEED_BATCH) {
      const cols: unknown[][] = Array.from({ length: 12 }, () => []);
      for (let i = from; i < Math.min(SIMS, from + SEED_BATCH); i++) {
        // Independent pseudo-random attributes (hash of the serial): no artificial correlation between filters.
        const h = (salt: number) => hash(i * 31 + salt);
        const status = STATUSES[h(1) % STATUSES.length];
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
      await client.query(
        `insert into sims (iccid, imsi, msisdn, account_id, name, status, tags, group_id, country, network, last_seen_at, end_user_device, created_at, form_factor)
         select iccid, imsi, msisdn, $13, name, status, tags::jsonb, group_id, country, network, last_seen::timestamptz, eud, created::timestamptz, '4FF'
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::boolean[], $12::text[])
             as t(iccid, imsi, msisdn, name, status, tags, group_id, country, network, last_seen, eud, created)`,
        [...cols, accountId],
      );
    }
    await client.query('analyze sims');
  } finally {
    await client.end();
  }
  return { iccidAt };
}

async function main(): Promise<void> {
  const started = Date.now();
  // The same starter as the test harness: Debian binaries, a temp dir, the `postgres` user when root.
  const temporary = process.env.DATABASE_URL ? undefined : await startPostgres({ startTimeoutMs: 120_000 });
  const databaseUrl = process.env.DATABASE_URL ?? temporary!.url;
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
  const lines: string[] = [];
  try {
    const base = platform.httpUrl;
    const account = await api(base, ADMIN_KEY, 'POST', '/v1/accounts', { name: 'Bench fleet' });
    const key = (await api(base, ADMIN_KEY, 'POST', `/v1/accounts/${account.body.id}/api-keys`, { name: 'bench', scopes: ['write'] })).body
      .key as string;
    const groupIds: string[] = [];
    for (let g = 0; g < 20; g++)
      groupIds.push((await api(base, key, 'POST', '/v1/groups', { name: `Group ${g}`, monthlyDataLimitBytes: 1_000_000 * (g + 1) })).body.id);

    const seedStart = Date.now();
    const { iccidAt } = await seed(databaseUrl, account.body.id, groupIds);
    lines.push(
      `seeded ${SIMS.toLocaleString('en')} SIMs in one account in ${((Date.now() - seedStart) / 1000).toFixed(1)} s (batched INSERT … SELECT FROM unnest, then ANALYZE)`,
    );
    console.log(lines[lines.length - 1]);

    // Deterministic spread over the whole table.
    const pick = (i: number) => (i * 7_919 + 13) % SIMS;
    lines.push(await measure('GET /v1/sims/{iccid}', REQUESTS, (i) => api(base, key, 'GET', `/v1/sims/${iccidAt(pick(i))}`)));
    lines.push(await measure('GET /v1/sims/{name}', REQUESTS, (i) => api(base, key, 'GET', `/v1/sims/device-${pick(i) - (pick(i) % 2)}`)));
    lines.push(
      await measure('GET /v1/sims?status&country&tag&sort=-lastSeenAt', REQUESTS, (i) =>
        api(base, key, 'GET', `/v1/sims?status=active&country=${COUNTRIES[i % COUNTRIES.length]}&tag=env:prod&sort=-lastSeenAt&limit=100`),
      ),
    );
    lines.push(
      await measure('GET /v1/sims?q=<ICCID prefix>&limit=100', REQUESTS, (i) =>
        api(base, key, 'GET', `/v1/sims?q=${iccidAt(pick(i)).slice(0, 14)}&limit=100`),
      ),
    );
    lines.push(await measure('GET /v1/sims/summary', Math.max(20, Math.floor(REQUESTS / 10)), () => api(base, key, 'GET', '/v1/sims/summary')));

    // Bulk suspend of BULK active SIMs, through the job and the worker (each SIM its own transaction).
    const targets: string[] = [];
    for (let i = 0; targets.length < BULK && i < SIMS; i++) if (STATUSES[hash(i * 31 + 1) % STATUSES.length] === 'active') targets.push(iccidAt(i));
    const bulkStart = Date.now();
    const accepted = await api(base, key, 'POST', '/v1/sims/bulk', { action: 'suspend', iccids: targets, reason: 'bench' });
    if (accepted.status !== 202) throw new Error(`bulk: HTTP ${accepted.status} ${JSON.stringify(accepted.body)}`);
    const acceptedMs = Date.now() - bulkStart;
    let job: { status: string; processed: number; succeeded: number; failed: number; total: number };
    let lastReport = Date.now();
    for (;;) {
      job = (await api(base, key, 'GET', `/v1/jobs/${accepted.body.id}`)).body;
      if (job.status === 'completed' || job.status === 'failed') break;
      if (Date.now() - lastReport > 10_000) {
        console.log(`  bulk: ${job.processed}/${job.total} after ${((Date.now() - bulkStart) / 1000).toFixed(0)} s`);
        lastReport = Date.now();
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const bulkSeconds = (Date.now() - bulkStart) / 1000;
    lines.push(
      `POST /v1/sims/bulk suspend of ${targets.length.toLocaleString('en')} SIMs: accepted in ${acceptedMs} ms, ${job.status} in ${bulkSeconds.toFixed(1)} s ` +
        `(${Math.round(targets.length / bulkSeconds)} SIMs/s; succeeded ${job.succeeded}, failed ${job.failed})`,
    );
    console.log(lines[lines.length - 1]);
    console.log(
      `\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${new Date().toISOString()}; total ${((Date.now() - started) / 1000).toFixed(0)} s`,
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
