/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Database } from '@simfleet/persistence';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { ADMIN_KEY, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { expect, expectText, launchChromium, seriousViolations } from './support/browser.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

// The operator console in Debian's Chromium, against the platform in its embedded shape (the console is
// an API client: the shapes behind the API have their own suites). Screenshots of every page are written
// to docs/console/ when UPDATE_CONSOLE_SCREENSHOTS=1.
const SCREENSHOTS =
  process.env.UPDATE_CONSOLE_SCREENSHOTS === '1' ? path.resolve('docs/console') : mkdtempSync(path.join(tmpdir(), 'simfleet-shots-'));
const DAY = new Date().toISOString().slice(0, 10);
const nowIso = () => new Date().toISOString();

jest.setTimeout(180_000);

describe('operator console in a browser', () => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let chromium: { browser: Browser; close(): Promise<void> };
  let context: BrowserContext;
  const devices: MqttClient[] = [];
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    // The console as `npm run build` makes it (skipped when up to date); in a process of its own, outside Jest's module sandbox.
    execFileSync(process.execPath, ['scripts/build-console.mjs', '--quiet'], { stdio: 'inherit' });
    mkdirSync(SCREENSHOTS, { recursive: true });
    await receiver.start();
    resources = await provisionShape('embedded');
    platform = await startTestPlatform(resources.env, undefined, {
      EVENT_STREAM_POLL_INTERVAL: '100ms',
      WEBHOOK_RETRY_SCHEDULE: '0s,1s',
      WEBHOOK_POLL_INTERVAL: '200ms',
      WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8',
    });
    admin = new ApiClient(platform.url, ADMIN_KEY);
    chromium = await launchChromium();
  }, 240_000);
  afterEach(async () => {
    await context?.close();
  });
  afterAll(async () => {
    for (const device of devices) await device.endAsync(true);
    await chromium?.close();
    await platform?.stop();
    await resources?.release();
    await receiver.stop();
    if (process.env.UPDATE_CONSOLE_SCREENSHOTS !== '1') rmSync(SCREENSHOTS, { recursive: true, force: true });
  });

  async function open(key: string, url = '/', viewport = { width: 1280, height: 860 }): Promise<Page> {
    context = await chromium.browser.newContext({ baseURL: platform.url, viewport });
    const page = await context.newPage();
    await page.goto('/sign-in');
    await page.getByText('Use an API key instead').click();
    await page.getByLabel('API key', { exact: true }).fill(key);
    await page.getByRole('button', { name: 'Sign in with the key' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
    if (url !== '/') await page.goto(url);
    return page;
  }

  async function device(iccid: string, secret: string): Promise<MqttClient> {
    const client = await mqtt.connectAsync(platform.mqttUrl, { username: iccid, password: secret, protocolVersion: 4, reconnectPeriod: 0 });
    devices.push(client);
    return client;
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
  }

  it('signs in with an API key, refuses a wrong one with the API’s reason, and shows an empty fleet', async () => {
    const account = await createAccount(admin, 'Empty Fleet');
    context = await chromium.browser.newContext({ baseURL: platform.url, viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    await page.goto('/sims');
    await page.waitForURL(/\/sign-in\?next=%2Fsims/);
    await shot(page, 'sign-in');
    await page.getByText('Use an API key instead').click();
    await page.getByLabel('API key', { exact: true }).fill('key_wrong.secret');
    await page.getByRole('button', { name: 'Sign in with the key' }).click();
    await expectText(page, 'Authentication required');
    await page.getByLabel('API key', { exact: true }).fill(account.writeKey);
    await page.getByRole('button', { name: 'Sign in with the key' }).click();
    await page.waitForURL(/\/sims$/);
    await expectText(page, 'No SIMs yet');
    await page.goto('/');
    await expectText(page, 'No SIMs yet: order SIMs');
    // A deep link survives a reload.
    await page.goto('/alert-rules');
    await page.reload();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Alert rules');
  });

  it('orders SIMs and activates one from the browser', async () => {
    const account = await createAccount(admin, 'Order Fleet');
    expect((await admin.post('/v1/stock', { count: 5, formFactor: 'MFF2' })).status).toBe(201);
    const page = await open(account.writeKey, '/orders');
    await page.getByLabel('Quantity').fill('5');
    await page.getByRole('button', { name: 'Place the order' }).click();
    await expectText(page, 'placed');
    await eventually(
      async () => ((await page.locator('table[aria-label="Orders"]').textContent())?.includes('allocated') ? true : undefined),
      15_000,
    );
    await shot(page, 'orders');
    await page.goto('/sims?status=inventory');
    await expectText(page, '5 SIMs match');
    const first = page.locator('table.data tbody a').first();
    const iccid = (await first.textContent())!;
    await first.click();
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Activate' }).click();
    await expectText(page, 'Device secret');
    await eventually(async () => ((await account.api.get(`/v1/sims/${iccid}`)).body.status === 'active' ? true : undefined));
  });

  describe('a fleet of 10,000 SIMs', () => {
    let account: ProvisionedAccount;
    let iccids: string[];

    beforeAll(async () => {
      account = await createAccount(admin, 'Big Fleet');
      expect((await admin.post('/v1/stock', { count: 10_000, formFactor: 'MFF2' })).status).toBe(201);
      const order = await account.api.post('/v1/orders', { quantity: 10_000, formFactor: 'MFF2' });
      await eventually(
        async () => ((await account.api.get(`/v1/orders/${order.body.id}`)).body.status === 'allocated' ? true : undefined),
        120_000,
        500,
      );
      iccids = [];
      let cursor: string | null = null;
      do {
        const page: { body: { data: Array<{ iccid: string }>; nextCursor: string | null } } = await account.api.get(
          `/v1/sims?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
        );
        iccids.push(...page.body.data.map((s) => s.iccid));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(iccids).toHaveLength(10_000);
      // 10,000 last known positions, spread over Europe (as the ingestion would leave them).
      await platform.platform.app.get(Database).query(
        `update sims set last_lat = 36 + (abs(hashtext(iccid)) % 2000) / 100.0, last_lon = -8 + (abs(hashtext(iccid || 'x')) % 3000) / 100.0,
                  last_location_at = now(), last_location_source = 'gps' where account_id = $1`,
        [account.accountId],
      );
      // 1,000 of them active. Set in the database: activating through the API hashes a device secret per SIM
      // (scrypt, on purpose slow), minutes on this machine, and this suite is about suspending them.
      await platform.platform.app
        .get(Database)
        .query(`update sims set status = 'active', first_activated_at = now() where iccid = any($1::text[])`, [iccids.slice(0, 1000)]);
    }, 240_000);

    it('finds one SIM by ICCID prefix among 10,000', async () => {
      const page = await open(account.writeKey, '/sims');
      await expectText(page, '10,000 SIMs match');
      await shot(page, 'sims');
      const target = iccids[4321];
      await page.getByLabel('Search').fill(target.slice(0, -1));
      await expectText(page, '1 SIM match');
      await expect(page.locator('table.data tbody a')).toHaveText([target]);
      expect(new URL(page.url()).searchParams.get('q')).toBe(target.slice(0, -1));
    });

    it('bulk-suspends 1,000 SIMs after a confirmation naming the count, with a progress bar reaching 100 %', async () => {
      const page = await open(account.writeKey, '/sims?status=active');
      await expectText(page, '1,000 SIMs match');
      await page.getByLabel('Select the SIMs loaded').check();
      await page.getByRole('button', { name: 'Select all 1,000 matching' }).click();
      await page.getByLabel('Action', { exact: true }).selectOption('suspend');
      await page.getByRole('button', { name: 'Suspend 1,000 SIMs…' }).click();
      const dialog = page.getByRole('dialog');
      await expect(dialog.getByRole('heading')).toHaveText('Suspend 1,000 SIMs?');
      await shot(page, 'sims-bulk-confirm');
      await dialog.getByRole('button', { name: 'Suspend 1,000 SIMs' }).click();
      const bar = page.getByRole('progressbar', { name: 'Bulk suspend progress' });
      await expect(bar).toBeVisible();
      await eventually(async () => ((await bar.getAttribute('aria-valuenow')) === '100' ? true : undefined), 120_000, 200);
      await expectText(page, '1,000 of 1,000 SIMs processed');
      await shot(page, 'sims-bulk-progress');
      expect((await account.api.get('/v1/sims/count?status=suspended')).body.count).toBe(1000);
    });

    it('renders 10,000 positions clustered on the fleet map, and pans', async () => {
      const page = await open(account.readKey, '/map');
      await page.locator('[data-positions="10000"]').waitFor({ timeout: 60_000 });
      await expectText(page, '10,000 SIMs with a known position');
      const map = page.locator('.map');
      const box = (await map.boundingBox())!;
      const before = await page.locator('.leaflet-map-pane').getAttribute('style');
      const started = Date.now();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2 - 200, box.y + box.height / 2 - 80, { steps: 10 });
      await page.mouse.up();
      const panMs = Date.now() - started;
      expect(await page.locator('.leaflet-map-pane').getAttribute('style')).not.toBe(before);
      expect(await page.locator('.leaflet-marker-icon').count()).toBeGreaterThan(0);
      process.stdout.write(`console: dragging the 10,000-position map took ${panMs} ms\n`);
      await shot(page, 'fleet-map');
    });
  });

  describe('a fleet with a live device', () => {
    let account: ProvisionedAccount;
    let iccid: string;
    let client: MqttClient;

    beforeAll(async () => {
      account = await createAccount(admin, 'Live Fleet');
      [iccid] = await orderSims(admin, account, 3);
      const secret = await activate(account, iccid);
      client = await device(iccid, secret);
      // The device answers pings: a status record carrying the ping's correlationId.
      await client.subscribeAsync(`things/${iccid}/commands`, { qos: 1 });
      client.on('message', (_topic, payload) => {
        const command = JSON.parse(payload.toString()) as { type: string; correlationId: string };
        if (command.type === 'ping')
          void client.publishAsync(
            `things/${iccid}/status`,
            JSON.stringify({ imei: '490154203237518', at: nowIso(), correlationId: command.correlationId }),
            { qos: 1 },
          );
      });
      await client.publishAsync(
        `things/${iccid}/sessions`,
        JSON.stringify({
          sessionId: 'fr-1',
          startedAt: `${DAY}T00:00:01Z`,
          endedAt: null,
          bytesUp: 1000,
          bytesDown: 4000,
          mcc: '208',
          mnc: '01',
          rat: 'LTE-M',
        }),
        { qos: 1 },
      );
    });

    it('moves the marker on the SIM page as the device reports, without a reload, within 2 s', async () => {
      const page = await open(account.readKey, `/sims/${iccid}?tab=location`);
      await client.publishAsync(
        `things/${iccid}/location`,
        JSON.stringify({ lat: 48.8566, lon: 2.3522, accuracyM: 10, source: 'gps', at: nowIso() }),
        { qos: 1 },
      );
      await page.locator('.live-marker[data-lat="48.8566"]').waitFor({ timeout: 10_000 });
      await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
      const published = Date.now();
      await client.publishAsync(
        `things/${iccid}/location`,
        JSON.stringify({ lat: 45.764, lon: 4.8357, accuracyM: 10, source: 'gps', at: nowIso() }),
        { qos: 1 },
      );
      await page.locator('.live-marker[data-lat="45.764"]').waitFor({ timeout: 2_000 });
      process.stdout.write(`console: the marker moved ${Date.now() - published} ms after the publish\n`);
      expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true); // same document: no reload
      await shot(page, 'sim-location');
    });

    it('shows the round-trip time of a connectivity test', async () => {
      const page = await open(account.writeKey, `/sims/${iccid}?tab=diagnostics`);
      await page.getByRole('button', { name: 'Test connectivity' }).click();
      await expect(page.getByTestId('connectivity-result')).toContainText(/round trip \d+ ms/);
      await shot(page, 'sim-diagnostics');
    });

    it('shows France on the network map with the session count the API reports', async () => {
      const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
      const from = new Date(to.getTime() - 30 * 86_400_000);
      const stats = await eventually(async () => {
        const res = await account.api.get(`/v1/network-stats?from=${from.toISOString()}&to=${to.toISOString()}`);
        return res.body.networks?.length ? res.body : undefined;
      });
      const france = stats.networks
        .filter((n: { country: string }) => n.country === 'FR')
        .reduce((sum: number, n: { sessions: number }) => sum + n.sessions, 0);
      expect(france).toBeGreaterThan(0);
      const page = await open(account.readKey, '/network');
      await expect(page.locator('.country-figure[data-country="FR"]')).toHaveText(`FR ${france.toLocaleString('en')}`);
      await page.locator('tr[data-country="FR"]').first().waitFor();
      await shot(page, 'network');
    });

    it('shows a usage-limit alert in the inbox as it is raised', async () => {
      const rule = await account.api.post('/v1/alert-rules', {
        type: 'data_usage_limit',
        name: '10 kB a month',
        scope: { iccid },
        params: { limitBytes: 10_000, period: 'month' },
      });
      expect(rule.status).toBe(201);
      const page = await open(account.writeKey, '/alerts');
      await expectText(page, 'No alerts here');
      await client.publishAsync(
        `things/${iccid}/sessions`,
        JSON.stringify({
          sessionId: 'fr-2',
          startedAt: `${DAY}T00:00:02Z`,
          endedAt: null,
          bytesUp: 20_000,
          bytesDown: 20_000,
          mcc: '208',
          mnc: '01',
          rat: 'LTE-M',
        }),
        { qos: 1 },
      );
      await page.locator('tr[data-alert-type="data_usage_limit"]').waitFor({ timeout: 15_000 });
      await shot(page, 'alerts');
    });

    it('shows a retried attempt in the webhook delivery log', async () => {
      receiver.answer = (_request, index) => (index === 0 ? { status: 500, body: 'try later' } : { status: 204 });
      const hook = await account.api.post('/v1/webhooks', { url: `${receiver.url}/hook`, events: ['webhook.test'] });
      expect(hook.status).toBe(201);
      expect((await account.api.post(`/v1/webhooks/${hook.body.id}/test`)).status).toBeLessThan(300);
      const page = await open(account.readKey, `/webhooks/${hook.body.id}`);
      await eventually(async () => ((await page.locator('li[data-attempt="2"]').count()) ? true : undefined), 20_000, 250);
      await expect(page.locator('li[data-attempt="1"]')).toContainText('500');
      await expect(page.locator('li[data-attempt="2"]')).toContainText('204');
      await shot(page, 'webhook-deliveries');
    });

    it('shows the invoice total the API computed', async () => {
      const drafted = await account.api.post('/v1/invoices', { period: DAY.slice(0, 7) });
      expect(drafted.status).toBe(201);
      const [invoice] = drafted.body.data;
      const page = await open(account.readKey, `/invoices/${invoice.id}`);
      const [whole, fraction = ''] = String(invoice.total).split('.');
      await expect(page.getByTestId('invoice-total')).toHaveText(
        `${Number(whole).toLocaleString('en')}.${fraction.padEnd(2, '0')} ${invoice.currency}`,
      );
      await shot(page, 'invoice');
    });

    it('shows the API’s error next to the field a form got wrong', async () => {
      const body = { type: 'impossible_travel', scope: {}, severity: 'warning', action: 'notify', params: { maxKmh: -5 } };
      const api = await account.api.post('/v1/alert-rules', body);
      expect(api.status).toBe(422);
      const expected = api.body.errors.find((e: { field: string }) => e.field === 'params/maxKmh').message;
      const page = await open(account.writeKey, '/alert-rules');
      await page.getByLabel('Type').selectOption('impossible_travel');
      await page.getByLabel('Maximum speed (km/h)').fill('-5');
      await page.getByRole('button', { name: 'Create the rule' }).click();
      const field = page.getByLabel('Maximum speed (km/h)');
      await expect(field).toHaveAttribute('aria-invalid', 'true');
      const describedBy = (await field.getAttribute('aria-describedby'))!.split(' ').pop()!;
      await expect(page.locator(`[id="${describedBy}"]`)).toHaveText(expected);
      await expectText(page, api.body.title);
      await shot(page, 'alert-rules-error');
    });

    it('keeps the SIM detail usable on a phone', async () => {
      const page = await open(account.writeKey, `/sims/${iccid}`, { width: 390, height: 844 });
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      expect(await seriousViolations(page)).toEqual([]);
      await shot(page, 'sim-detail-phone');
    });

    it('has no serious or critical accessibility violation on any page (axe-core)', async () => {
      const webhook = (await account.api.get('/v1/webhooks')).body.data[0];
      const invoice = (await account.api.get('/v1/invoices')).body.data[0];
      const support = await account.api.post('/v1/support-cases', {
        subject: 'Roaming in Spain',
        description: 'Sessions drop at the border.',
        iccids: [iccid],
      });
      const pages: Array<[string, string]> = [
        ['/', 'overview'],
        ['/sims', 'sims-list'],
        [`/sims/${iccid}`, 'sim-detail'],
        [`/sims/${iccid}?tab=usage`, 'sim-usage'],
        [`/sims/${iccid}?tab=sms`, 'sim-sms'],
        [`/sims/${iccid}?tab=history`, 'sim-history'],
        ['/map', 'fleet-map-small'],
        ['/network', 'network-stats'],
        ['/alerts', 'alerts-inbox'],
        ['/alert-rules', 'alert-rules'],
        ['/orders', 'orders-list'],
        ['/webhooks', 'webhooks'],
        [`/webhooks/${webhook.id}`, 'webhook-detail'],
        ['/invoices', 'invoices'],
        [`/invoices/${invoice.id}`, 'invoice-detail'],
        ['/api-keys', 'api-keys'],
        ['/support', 'support'],
        [`/support/${support.body.id}`, 'support-case'],
        ['/users', 'users'],
        ['/audit-log', 'audit-log'],
        ['/no-such-page', 'not-found'],
      ];
      // A key with every account scope, so that the API keys, users and audit log pages show their content.
      const everything = await admin.post(`/v1/accounts/${account.accountId}/api-keys`, {
        name: 'console tour',
        scopes: ['write', 'mqtt', 'keys', 'audit', 'users'],
      });
      expect(everything.status).toBe(201);
      const page = await open(everything.body.key);
      const found: Record<string, unknown> = {};
      for (const [url, name] of pages) {
        await page.goto(url);
        await settled(page);
        const violations = await seriousViolations(page);
        if (violations.length) found[url] = violations;
        await shot(page, name);
      }
      const adminPage = await open(ADMIN_KEY);
      for (const [url, name] of [
        ['/admin/accounts', 'admin-accounts'],
        [`/admin/accounts/${account.accountId}`, 'admin-account'],
        ['/admin/stock', 'admin-stock'],
        ['/admin/orders', 'admin-orders'],
        ['/admin/invoices', 'admin-invoices'],
        ['/admin/dead-letters', 'admin-dead-letters'],
        ['/admin/users', 'admin-users'],
        ['/audit-log', 'admin-audit-log'],
      ]) {
        await adminPage.goto(url);
        await settled(adminPage);
        const violations = await seriousViolations(adminPage);
        if (violations.length) found[url] = violations;
        await shot(adminPage, name);
      }
      const signIn = await (await chromium.browser.newContext({ baseURL: platform.url })).newPage();
      await signIn.goto('/sign-in');
      const violations = await seriousViolations(signIn);
      if (violations.length) found['/sign-in'] = violations;
      expect(found).toEqual({});
    }, 400_000);
  });

  it('serves the console at / without shadowing the API, the docs or the operations endpoints', async () => {
    const html = await fetch(`${platform.url}/sims/8988303000000000001?tab=usage`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect(await html.text()).toContain('<div id="root">');
    const api = await fetch(`${platform.url}/v1/no-such-route`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/application\/problem\+json/);
    for (const ops of ['/health', '/ready', '/metrics', '/openapi.json', '/docs']) expect((await fetch(`${platform.url}${ops}`)).status).toBe(200);
    expect((await fetch(`${platform.url}/assets/missing-file.js`)).status).toBe(404);
    const index = await (await fetch(`${platform.url}/`)).text();
    const script = /src="(\/assets\/index-[^"]+\.js)"/.exec(index)![1];
    const compressed = await fetch(`${platform.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(compressed.headers.get('content-encoding')).toBe('gzip');
    expect(compressed.headers.get('cache-control')).toContain('immutable');
  });
});

/** The page has its heading and nothing is loading any more (the live stream stays open: never "network idle"). */
async function settled(page: Page): Promise<void> {
  await page.getByRole('heading', { level: 1 }).waitFor();
  await eventually(async () => ((await page.locator('.loading').count()) === 0 ? true : undefined), 15_000, 100).catch(() => undefined);
  await page.waitForTimeout(300);
}
