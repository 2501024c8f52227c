/**
 * Console benchmark: the bundle sizes of the operator console, and page timings measured in Debian's Chromium
 * against the platform in its embedded shape (PGlite) holding 100,000 SIMs.
 *   npm run bench:console [-- --sims 100000 --runs 5]
 * Prints each figure with its target (overview JavaScript ≤ 250 KB gzipped; overview interactive ≤ 1.5 s).
 * A benchmark, not a test: nothing fails; read the figures.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { pino } from 'pino';
import { startPlatform } from '@simfleet/bootstrap';
import { loadConfig } from '@simfleet/config';
import { Database } from '@simfleet/persistence';
import { ROLE_NAMES, rolesNamed } from '../apps/platform/src/roles.js';

const { values } = parseArgs({ options: { sims: { type: 'string', default: '100000' }, runs: { type: 'string', default: '5' } } });
const SIMS = Number(values.sims);
const RUNS = Number(values.runs);
const ADMIN_KEY = 'bench-admin-key-0123456789abcdefghijklmnopqrstu';
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const CONSOLE = path.join(ROOT, 'dist/console');

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function bundleTable(): void {
  const assets = path.join(CONSOLE, 'assets');
  const rows = readdirSync(assets)
    .filter((f) => /\.(js|css)$/.test(f))
    .map((f) => {
      const raw = statSync(path.join(assets, f)).size;
      return { file: f, raw, gzip: gzipSync(readFileSync(path.join(assets, f)), { level: 9 }).length };
    })
    .sort((a, b) => b.gzip - a.gzip);
  process.stdout.write('\nBundle (dist/console/assets), largest first:\n');
  process.stdout.write(`  ${'file'.padEnd(44)} ${'raw'.padStart(10)} ${'gzip'.padStart(10)}\n`);
  for (const r of rows) process.stdout.write(`  ${r.file.padEnd(44)} ${kb(r.raw).padStart(10)} ${kb(r.gzip).padStart(10)}\n`);
  const js = rows.filter((r) => r.file.endsWith('.js'));
  process.stdout.write(
    `  all JavaScript: ${kb(js.reduce((s, r) => s + r.raw, 0))} raw, ${kb(js.reduce((s, r) => s + r.gzip, 0))} gzip, in ${js.length} chunks\n`,
  );
}

async function seed(db: Database, accountId: string): Promise<void> {
  // The fleet as ingestion would leave it: statuses, networks, countries, last seen, last positions.
  await db.query(
    `insert into sims (iccid, imsi, msisdn, account_id, status, form_factor, country, network, mcc, mnc, rat, last_seen_at, last_lat, last_lon, last_location_at, last_location_source, tags, created_at)
     select '8949' || lpad(i::text, 15, '0'), '26201' || lpad(i::text, 10, '0'), '+4915' || lpad(i::text, 10, '0'), $1,
            (array['active','active','active','active','active','active','suspended','inventory'])[1 + i % 8], '4FF',
            (array['FR','DE','ES','IT','GB','NL','BE','PL'])[1 + (i / 7) % 8], (array['Orange','Vodafone','Telefonica','TIM','EE','KPN','Proximus','Play'])[1 + (i / 7) % 8],
            '208', '01', 'LTE-M', now() - (i % 86400) * interval '1 second',
            36 + (abs(hashtext(i::text)) % 2000) / 100.0, -8 + (abs(hashtext(i::text || 'x')) % 3000) / 100.0, now(), 'gps',
            jsonb_build_object('site', 's' || (i % 100)), now() - i * interval '1 second'
       from generate_series(1, $2::int) as i`,
    [accountId, SIMS],
  );
  await db.query('analyze sims');
}

interface PageFigures {
  jsGzip: number;
  domContentLoaded: number;
  interactive: number;
}

async function measurePage(browser: Browser, baseUrl: string, key: string, url: string, ready: string): Promise<PageFigures> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1280, height: 860 } });
  await context.addInitScript((k) => sessionStorage.setItem('simfleet.apiKey', k), key);
  const page = await context.newPage();
  let jsGzip = 0;
  page.on('response', (response) => {
    const u = new URL(response.url());
    if (u.pathname.endsWith('.js')) {
      // What crossed the wire: the pre-compressed file the server sent (gzip: Chromium asks for br too, the server prefers br; report gzip to compare with the target).
      const file = path.join(CONSOLE, u.pathname);
      try {
        jsGzip += gzipSync(readFileSync(file), { level: 9 }).length;
      } catch {
        // not one of ours
      }
    }
  });
  await page.goto(url);
  await page.waitForSelector(ready, { timeout: 60_000 });
  const interactive = await page.evaluate(() => performance.now());
  const domContentLoaded = await page.evaluate(() => {
    const [nav] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
    return nav.domContentLoadedEventEnd;
  });
  await context.close();
  return { jsGzip, domContentLoaded, interactive };
}

async function main(): Promise<void> {
  bundleTable();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'simfleet-bench-console-'));
  const config = loadConfig({
    PORT: '0',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    ADMIN_API_KEY: ADMIN_KEY,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  const platform = await startPlatform(config, rolesNamed(ROLE_NAMES), pino({ level: 'silent' }));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const call = async (method: string, route: string, key: string, body?: unknown) => {
      const res = await fetch(`${platform.httpUrl}${route}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return (await res.json()) as Record<string, string>;
    };
    const account = await call('POST', '/v1/accounts', ADMIN_KEY, { name: 'Bench Fleet' });
    const key = (await call('POST', `/v1/accounts/${account.id}/api-keys`, ADMIN_KEY, { name: 'bench', scopes: ['write'] })).key;
    const seeding = Date.now();
    await seed(platform.app.get(Database), account.id);
    process.stdout.write(`\nSeeded ${SIMS.toLocaleString('en')} SIMs (embedded shape, PGlite) in ${((Date.now() - seeding) / 1000).toFixed(1)} s\n`);
    const iccid = `8949${'1'.padStart(15, '0')}`;
    const pages: Array<[string, string, string]> = [
      ['overview', '/', '.stats .stat-value'],
      ['SIMs (first page)', '/sims', 'table.data tbody a'],
      ['SIM detail', `/sims/${iccid}`, 'dl.facts'],
      ['fleet map (100,000 positions, server clusters)', '/map', '.leaflet-marker-icon'],
      ['network statistics', '/network', 'h1'],
      ['alerts', '/alerts', '.empty, table.data'],
    ];
    process.stdout.write(`\nPage timings in Chromium, median of ${RUNS} cold loads (ms from navigation start):\n`);
    process.stdout.write(`  ${'page'.padEnd(48)} ${'JS gzip'.padStart(10)} ${'DOM ready'.padStart(10)} ${'interactive'.padStart(12)}  target\n`);
    for (const [name, url, ready] of pages) {
      const runs: PageFigures[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await measurePage(browser, platform.httpUrl, key, url, ready));
      const js = median(runs.map((r) => r.jsGzip));
      const interactive = median(runs.map((r) => r.interactive));
      const target =
        name === 'overview' ? `JS ≤ 250 KB ${js <= 250 * 1024 ? '✔' : '✘'}, interactive ≤ 1,500 ms ${interactive <= 1500 ? '✔' : '✘'}` : '—';
      process.stdout.write(
        `  ${name.padEnd(48)} ${kb(js).padStart(10)} ${median(runs.map((r) => r.domContentLoaded))
          .toFixed(0)
          .padStart(10)} ${interactive.toFixed(0).padStart(12)}  ${target}\n`,
      );
    }
    process.stdout.write(
      `\nMachine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`,
    );
  } finally {
    await browser.close();
    await platform.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
