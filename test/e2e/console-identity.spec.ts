/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims, type ProvisionedAccount } from './support/fleet.js';
import { ADMIN_KEY, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { expect, expectText, launchChromium, seriousViolations, type AxeViolation } from './support/browser.js';
import { Authenticator, base32Bytes, hotpCode, timeStep } from './support/totp.js';

// The identity issue's "Done when", tried in the console as people would, in Debian's Chromium: the
// platform admin invites an owner; the owner accepts, signs in, turns on two-factor authentication (codes
// computed here with RFC 6238 from node:crypto, as an authenticator app would) and requires it for the
// account; the owner invites a viewer, who must set up 2FA too, then can look but not suspend; the audit
// log page names who did each step. Screenshots go to docs/console/ with UPDATE_CONSOLE_SCREENSHOTS=1.
const SCREENSHOTS =
  process.env.UPDATE_CONSOLE_SCREENSHOTS === '1' ? path.resolve('docs/console') : mkdtempSync(path.join(tmpdir(), 'simfleet-id-shots-'));
const OWNER = 'olive.owner@acme.test';
const VIEWER = 'victor.viewer@acme.test';
const OWNER_PASSWORD = 'correct horse battery staple';
const VIEWER_PASSWORD = 'a viewer looks, never touches';

jest.setTimeout(240_000);

describe('console sign-in, users, two-factor authentication and audit log in a browser', () => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let chromium: { browser: Browser; close(): Promise<void> };
  const contexts: BrowserContext[] = [];
  let account: ProvisionedAccount;
  let activeIccid: string;
  const axe: Record<string, AxeViolation[]> = {};

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build-console.mjs', '--quiet'], { stdio: 'inherit' });
    mkdirSync(SCREENSHOTS, { recursive: true });
    resources = await provisionShape('embedded');
    platform = await startTestPlatform(resources.env, undefined, { EVENT_STREAM_POLL_INTERVAL: '100ms' });
    admin = new ApiClient(platform.url, ADMIN_KEY);
    chromium = await launchChromium();
    account = await createAccount(admin, 'Acme Identity');
    const iccids = await orderSims(admin, account, 3);
    activeIccid = iccids[0];
    await activate(account, activeIccid);
  }, 240_000);
  afterEach(async () => {
    // CONSOLE_DEBUG_SHOTS=1: what each browser shows at the end of a test (to see why a step failed).
    if (process.env.CONSOLE_DEBUG_SHOTS !== '1') return;
    const dir = mkdtempSync(path.join(tmpdir(), 'simfleet-id-debug-'));
    let n = 0;
    for (const context of contexts)
      for (const page of context.pages()) await page.screenshot({ path: path.join(dir, `${(n += 1)}.png`) }).catch(() => undefined);
    process.stdout.write(`browser screenshots in ${dir}\n`);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await chromium?.close();
    await platform?.stop();
    await resources?.release();
    if (process.env.UPDATE_CONSOLE_SCREENSHOTS !== '1') rmSync(SCREENSHOTS, { recursive: true, force: true });
  });

  /** A fresh browser profile: its own cookies (one person). */
  async function browserOf(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const context = await chromium.browser.newContext({ baseURL: platform.url, viewport, acceptDownloads: true });
    contexts.push(context);
    return context.newPage();
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
  }

  /** axe-core on the page as it stands; serious or critical violations are collected and asserted at the end. */
  async function checkA11y(page: Page, name: string): Promise<void> {
    const violations = await seriousViolations(page);
    if (violations.length) axe[name] = violations;
  }

  async function signIn(page: Page, email: string, password: string, code?: () => Promise<string>): Promise<void> {
    await page.goto('/sign-in');
    await page.getByLabel('E-mail', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    if (code) {
      const field = page.getByLabel('Authentication code');
      await field.waitFor();
      await field.fill(await code());
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    }
    await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
  }

  async function signOut(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(/\/sign-in/);
  }

  /** Sets up 2FA on the Profile & security page: the key shown is the one in the otpauth URI; returns the authenticator and the recovery codes. */
  async function turnOnTwoFactor(page: Page, email: string, shotName?: string): Promise<{ app: Authenticator; recoveryCodes: string[] }> {
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    const secret = ((await page.getByTestId('mfa-secret').textContent()) ?? '').replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    const uri = new URL((await page.getByTestId('otpauth-uri').textContent())!);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe(`/simfleet:${email}`);
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({ secret, issuer: 'simfleet' });
    for (const [param, standard] of [
      ['algorithm', 'SHA1'],
      ['digits', '6'],
      ['period', '30'],
    ])
      expect(uri.searchParams.get(param) ?? standard).toBe(standard);
    await expect(page.getByRole('img', { name: 'QR code to scan with an authenticator app' })).toBeVisible();
    if (shotName) {
      await checkA11y(page, `${shotName} (setup)`);
      await shot(page, shotName);
    }
    // A wrong code is refused next to the field, and changes nothing.
    const wrong = hotpCode(secret, timeStep(Date.now()) - 5);
    await page.getByLabel('Code from the app').fill(wrong);
    await page.getByRole('button', { name: 'Turn on' }).click();
    await expect(page.locator('.field-error')).toContainText('does not match');
    const app = new Authenticator(secret);
    await page.getByLabel('Code from the app').fill(await app.next());
    await page.getByRole('button', { name: 'Turn on' }).click();
    const list = page.getByRole('list', { name: 'Recovery codes' });
    await list.waitFor();
    const recoveryCodes = (await list.locator('li').allTextContents()).map((c) => c.trim());
    expect(recoveryCodes).toHaveLength(10);
    for (const c of recoveryCodes) expect(c).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
    return { app, recoveryCodes };
  }

  it('the admin invites an owner, who signs in, turns on 2FA, invites a viewer who can look but not suspend; the audit log names each step', async () => {
    // 1. The platform admin (the admin key, as on a fresh install) invites the owner from the account's page.
    const adminPage = await browserOf();
    await adminPage.goto('/sign-in');
    await adminPage.getByText('Use an API key instead').click();
    await adminPage.getByLabel('API key', { exact: true }).fill(ADMIN_KEY);
    await adminPage.getByRole('button', { name: 'Sign in with the key' }).click();
    await adminPage.waitForURL(/\/admin\/accounts$/);
    await adminPage.goto(`/admin/accounts/${account.accountId}`);
    await adminPage.getByLabel('E-mail', { exact: true }).fill(OWNER);
    await adminPage.getByLabel('Role', { exact: true }).selectOption('owner');
    await adminPage.getByRole('button', { name: 'Invite', exact: true }).click();
    const ownerLink = (await adminPage.locator('.one-time-link code').textContent())!;
    expect(ownerLink).toMatch(new RegExp(`^${platform.url}/invite#token=[\\w-]{20,}$`));
    await expect(adminPage.locator(`tr[data-user="${OWNER}"]`)).toContainText('invited');
    await checkA11y(adminPage, 'admin account users');
    await shot(adminPage, 'admin-account-users');
    await adminPage.goto('/admin/users');
    await expect(adminPage.getByRole('heading', { level: 1 })).toHaveText('Admin users');
    await checkA11y(adminPage, 'admin users');

    // 2. The owner opens the link, chooses a password, and is signed in; then signs out and in again.
    const owner = await browserOf();
    await owner.goto(ownerLink);
    await expectText(owner, `${OWNER} is invited to Acme Identity as owner`);
    await checkA11y(owner, 'accept invite');
    await shot(owner, 'accept-invite');
    await owner.getByLabel('Your name').fill('Olive Owner');
    await owner.getByLabel('Password', { exact: true }).fill(OWNER_PASSWORD);
    await owner.getByLabel('Password again').fill('something else entirely');
    await owner.getByRole('button', { name: 'Set the password and sign in' }).click();
    await expectText(owner, 'the two passwords differ');
    await owner.getByLabel('Password again').fill(OWNER_PASSWORD);
    await owner.getByRole('button', { name: 'Set the password and sign in' }).click();
    await owner.waitForURL((u) => u.pathname === '/' && u.hash === '');
    await expect(owner.locator('.topbar .who')).toContainText('Olive Owner');
    await expect(owner.getByRole('heading', { level: 1 })).toHaveText('Overview');
    // The used link is refused with the API's reason.
    const again = await browserOf();
    await again.goto(ownerLink);
    await expectText(again, 'already');
    await signOut(owner);
    await signIn(owner, OWNER, OWNER_PASSWORD);
    await expect(owner.locator('.topbar .who')).toContainText('owner');

    // 3. The owner turns on two-factor authentication, then requires it for the whole account.
    await owner.getByRole('link', { name: 'Profile & security' }).click();
    await expect(owner.getByRole('heading', { level: 1 })).toHaveText('Profile & security');
    await checkA11y(owner, 'security (2FA off)');
    const { app: ownerApp, recoveryCodes } = await turnOnTwoFactor(owner, OWNER, 'security-2fa-setup');
    await checkA11y(owner, 'security (recovery codes)');
    await shot(owner, 'security-recovery-codes');
    await owner.getByRole('button', { name: 'I have saved them' }).click();
    await expectText(owner, 'Signing in asks for the code');
    await owner.getByRole('button', { name: 'Require two-factor authentication for everyone' }).click();
    await expectText(owner, 'Two-factor authentication is required for everyone in the account');
    await shot(owner, 'security');
    expect((await admin.get(`/v1/accounts/${account.accountId}/security`)).body).toEqual({ mfaRequired: true });

    // Signing in now asks for the code: a wrong one is refused, the authenticator's is accepted.
    await signOut(owner);
    await owner.getByLabel('E-mail', { exact: true }).fill(OWNER);
    await owner.getByLabel('Password', { exact: true }).fill(OWNER_PASSWORD);
    await owner.getByRole('button', { name: 'Sign in', exact: true }).click();
    const codeField = owner.getByLabel('Authentication code');
    await codeField.waitFor();
    await codeField.fill(hotpCode(ownerApp.secret, timeStep(Date.now()) - 6));
    await owner.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(codeField).toHaveAttribute('aria-invalid', 'true');
    await checkA11y(owner, 'sign-in (code asked)');
    await shot(owner, 'sign-in-code');
    await codeField.fill(await ownerApp.next());
    await owner.getByRole('button', { name: 'Sign in', exact: true }).click();
    await owner.waitForURL((u) => u.pathname === '/');
    expect(recoveryCodes).toHaveLength(10);

    // 4. The owner invites a viewer (and tries the other user actions on a colleague: a role change, disabling).
    await owner.getByRole('link', { name: 'Users' }).click();
    await owner.getByLabel('E-mail', { exact: true }).fill(VIEWER);
    await owner.getByLabel('Role', { exact: true }).selectOption('viewer');
    await owner.getByRole('button', { name: 'Invite', exact: true }).click();
    const viewerLink = (await owner.locator('.one-time-link code').textContent())!;
    expect(viewerLink).toContain('/invite#token=');
    await expect(owner.locator(`tr[data-user="${VIEWER}"]`)).toContainText('viewer');
    await owner.getByLabel('E-mail', { exact: true }).fill('oscar.operator@acme.test');
    await owner.getByLabel('Role', { exact: true }).selectOption('operator');
    await owner.getByRole('button', { name: 'Invite', exact: true }).click();
    await owner.locator('tr[data-user="oscar.operator@acme.test"]').waitFor();
    // An invited user can be removed, not disabled: Oscar accepts (here through the API) before the owner disables him.
    expect(await owner.getByRole('button', { name: 'Disable oscar.operator@acme.test' }).count()).toBe(0);
    const oscarLink = (await owner.locator('.one-time-link code').textContent())!;
    const oscarToken = new URLSearchParams(new URL(oscarLink).hash.slice(1)).get('token');
    expect((await new ApiClient(platform.url).post('/v1/invites/accept', { token: oscarToken, password: 'operator password 1234' })).status).toBe(
      201,
    );
    await owner.reload();
    await expect(owner.locator('tr[data-user="oscar.operator@acme.test"]')).toContainText('active');
    await owner.getByRole('button', { name: 'Change the role of oscar.operator@acme.test' }).click();
    await owner.getByRole('dialog').getByLabel('New role').selectOption('admin');
    await owner.getByRole('dialog').getByRole('button', { name: 'Change the role' }).click();
    await expect(owner.locator('tr[data-user="oscar.operator@acme.test"] td').nth(2)).toHaveText('admin');
    await owner.getByRole('button', { name: 'Disable oscar.operator@acme.test' }).click();
    await owner.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
    await expect(owner.locator('tr[data-user="oscar.operator@acme.test"]')).toContainText('disabled');
    // The owner's own row has no actions on itself; the last owner cannot be demoted (the API's 409 would say so).
    await expect(owner.locator(`tr[data-user="${OWNER}"]`)).toContainText('(you)');
    await checkA11y(owner, 'users');
    await shot(owner, 'users-owner');

    // 5. The viewer accepts; the account requires 2FA, so the console leads them to set it up first.
    const viewer = await browserOf();
    await viewer.goto(viewerLink);
    await expectText(viewer, `${VIEWER} is invited to Acme Identity as viewer`);
    await viewer.getByLabel('Password', { exact: true }).fill(VIEWER_PASSWORD);
    await viewer.getByLabel('Password again').fill(VIEWER_PASSWORD);
    await viewer.getByRole('button', { name: 'Set the password and sign in' }).click();
    await viewer.waitForURL(/\/security$/);
    await expectText(viewer, 'Your account requires two-factor authentication');
    await checkA11y(viewer, 'security (2FA required)');
    await viewer.goto(`/sims/${activeIccid}`);
    await viewer.waitForURL(/\/security$/);
    await turnOnTwoFactor(viewer, VIEWER);
    await viewer.getByRole('button', { name: 'I have saved them' }).click();
    await viewer.getByRole('link', { name: 'SIMs' }).waitFor();

    // The viewer looks: SIMs and a SIM's page, with no lifecycle action, no bulk selection, no people or keys.
    const menu = await viewer.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    for (const shown of ['Overview', 'SIMs', 'Alerts', 'Profile & security']) expect(menu).toContain(shown);
    for (const hidden of ['Users', 'API keys', 'Audit log']) expect(menu).not.toContain(hidden);
    await viewer.getByRole('link', { name: 'SIMs' }).click();
    await expectText(viewer, '3 SIMs match');
    expect(await viewer.getByLabel('Select the SIMs loaded').count()).toBe(0);
    await viewer.goto(`/sims/${activeIccid}`);
    await expect(viewer.getByRole('heading', { level: 1 })).toBeVisible();
    await expectText(viewer, 'active');
    for (const action of ['Suspend', 'Terminate', 'Activate'])
      expect(await viewer.getByRole('button', { name: action, exact: true }).count()).toBe(0);
    await checkA11y(viewer, 'sim detail (viewer)');
    await shot(viewer, 'sim-detail-viewer');
    // Reached anyway, a page the role may not use shows the API's refusal.
    await viewer.goto('/users');
    await expect(viewer.getByRole('alert')).toContainText('Not allowed');
    await viewer.goto('/audit-log');
    await expect(viewer.getByRole('alert')).toContainText('Not allowed');
    // And the API itself refuses the viewer's suspend, whatever the page shows.
    const suspend = await viewer.evaluate(async (iccid) => {
      const session = await (await fetch('/v1/sessions/current')).json();
      const response = await fetch(`/v1/sims/${iccid}/suspend`, { method: 'POST', headers: { 'x-csrf-token': session.csrfToken } });
      return { status: response.status, type: (await response.json()).type };
    }, activeIccid);
    expect(suspend).toEqual({ status: 403, type: '/problems/forbidden' });
    expect((await account.api.get(`/v1/sims/${activeIccid}`)).body.status).toBe('active');

    // 6. The owner's audit log names who did each step.
    await owner.getByRole('link', { name: 'Audit log' }).click();
    await owner.locator('table[aria-label="Audit log"] tbody tr').first().waitFor();
    const rows = async () =>
      owner
        .locator('table[aria-label="Audit log"] tbody tr')
        .evaluateAll((trs) => trs.map((tr) => ({ action: tr.getAttribute('data-action'), actor: tr.getAttribute('data-actor') })));
    const steps = await rows();
    const did = (actor: string | RegExp, action: string) =>
      steps.some((s) => s.action === action && (typeof actor === 'string' ? s.actor === actor : actor.test(s.actor ?? '')));
    expect({
      adminInvitedOwner: did(/admin/i, 'accounts.users.invite'),
      ownerSignedIn: did(OWNER, 'sessions.sign-in'),
      ownerTurnedOn2fa: did(OWNER, 'users.mfa.enable'),
      ownerRequired2fa: steps.some((s) => s.actor === OWNER && s.action?.startsWith('accounts.security')),
      ownerInvitedViewer: did(OWNER, 'accounts.users.invite'),
      viewerTurnedOn2fa: did(VIEWER, 'users.mfa.enable'),
      viewerSuspendRefused: did(VIEWER, 'sims.suspend'),
    }).toEqual({
      adminInvitedOwner: true,
      ownerSignedIn: true,
      ownerTurnedOn2fa: true,
      ownerRequired2fa: true,
      ownerInvitedViewer: true,
      viewerTurnedOn2fa: true,
      viewerSuspendRefused: true,
    });
    const refused = owner.locator(`tr[data-action="sims.suspend"][data-actor="${VIEWER}"]`).first();
    await expect(refused).toContainText('denied');
    await checkA11y(owner, 'audit log');
    await shot(owner, 'audit-log-steps');

    // Filters: one actor (a click on their name), then one action; the filter is in the URL and survives a reload.
    await owner.locator(`tr[data-actor="${VIEWER}"] button.link-button`).first().click();
    await eventually(async () => {
      const only = await rows();
      return only.length > 0 && only.every((r) => r.actor === VIEWER) ? true : undefined;
    });
    expect(new URL(owner.url()).searchParams.get('actor')).toMatch(/^user:/);
    await owner.reload();
    await owner.locator('table[aria-label="Audit log"] tbody tr').first().waitFor();
    expect((await rows()).every((r) => r.actor === VIEWER)).toBe(true);
    await owner.getByRole('button', { name: 'Clear' }).click();
    await owner.getByLabel('Action').fill('users.mfa.');
    await owner.getByRole('button', { name: 'Apply' }).click();
    await eventually(async () => {
      const only = await rows();
      return only.length >= 2 && only.every((r) => r.action?.startsWith('users.mfa.')) ? true : undefined;
    });
    // A bad filter shows the API's reason next to its field.
    await owner.getByLabel('From (UTC)').fill('2030-01-02T00:00');
    await owner.getByLabel('To (UTC)').fill('2030-01-01T00:00');
    await owner.getByRole('button', { name: 'Apply' }).click();
    await expect(owner.getByLabel('From (UTC)')).toHaveAttribute('aria-invalid', 'true');
    await owner.getByRole('button', { name: 'Clear' }).click();
    await owner.locator('table[aria-label="Audit log"] tbody tr').first().waitFor();

    // The CSV is the API's, for the current filter.
    const [file] = await Promise.all([owner.waitForEvent('download'), owner.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = readFileSync((await file.path())!, 'utf8');
    expect(csv.split('\n')[0]).toContain('actorName');
    expect(csv).toContain(VIEWER);
    expect(csv).toContain('users.mfa.enable');
    expect(csv.match(/^id,/gm)).toHaveLength(1);

    // Sign out everywhere ends the owner's session in every browser.
    const ownerElsewhere = await browserOf();
    await signIn(ownerElsewhere, OWNER, OWNER_PASSWORD, () => ownerApp.next());
    await owner.getByRole('link', { name: 'Profile & security' }).click();
    await owner.getByRole('button', { name: 'Sign out everywhere' }).click();
    await owner.getByRole('dialog').getByRole('button', { name: 'Sign out everywhere' }).click();
    await owner.waitForURL(/\/sign-in/);
    await ownerElsewhere.goto('/sims');
    await ownerElsewhere.waitForURL(/\/sign-in/);

    // The public pages a link opens, and the sign-in page, pass axe too.
    const anonymous = await browserOf();
    await anonymous.goto('/reset-password#token=not-a-real-token-but-long-enough');
    await expect(anonymous.getByRole('heading', { level: 1 })).toHaveText('Choose a new password');
    await checkA11y(anonymous, 'reset password');
    await anonymous.goto('/sign-in');
    await anonymous.getByText('Forgot your password?').click();
    await anonymous.getByLabel('E-mail of your user').fill('nobody@acme.test');
    await anonymous.getByRole('button', { name: 'E-mail me a reset link' }).click();
    await expectText(anonymous, 'If this e-mail belongs to a user');
    await checkA11y(anonymous, 'sign-in (forgot password)');

    expect(axe).toEqual({});
  });
});

// The authenticator used above follows RFC 6238's own test vector (SHA-1, 8 digits, T = 59 s).
it('computes RFC 6238 codes as authenticator apps do', () => {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  expect(base32Bytes(secret).toString()).toBe('12345678901234567890');
  expect(hotpCode(secret, timeStep(59_000), 8)).toBe('94287082');
  expect(hotpCode(secret, timeStep(1_111_111_109_000), 8)).toBe('07081804');
  const app = new Authenticator(secret);
  const now = 1_111_111_109_000;
  expect([app.code(now), app.code(now)]).toEqual([hotpCode(secret, timeStep(now)), hotpCode(secret, timeStep(now) + 1)]);
});
