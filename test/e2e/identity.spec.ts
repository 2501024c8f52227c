import { ShiftedClock } from '@simfleet/application';
import { hotp, base32Decode, totpStep } from '@simfleet/auth';
import { Database } from '@simfleet/persistence';
import { IdentityHousekeeping } from '@simfleet/application';
import { ApiClient, eventually } from './support/http.js';
import { activate, createAccount, orderSims } from './support/fleet.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { PASSWORD, SessionClient, codeAt, inviteAndAccept, sessionCookieOf, signIn } from './support/session.js';

const expectProblem = (res: { status: number; headers: Headers; body: any }, status: number, type: string) => {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect({ status: res.status, type: res.body.type }).toEqual({ status, type: `/problems/${type}` });
};

/** Every identity flow over real HTTP, on a platform whose clock the suite moves (session and token expiry). */
describe.each(SHAPES)('identity: users, sessions, two-factor, throttling, audit log (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let anonymous: ApiClient;
  const clock = new ShiftedClock(new Date());

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, { AUTH_FAILURES_PER_USER: '3', AUTH_FAILURES_PER_ADDRESS: '1000' }, clock);
    admin = new ApiClient(platform.url, ADMIN_KEY);
    anonymous = new ApiClient(platform.url);
  });
  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  });

  it('as a new user would: the admin invites an owner, who signs in, turns on 2FA, invites a viewer who can look but not suspend; the audit log says who did each step', async () => {
    const account = await createAccount(admin, 'Done-when');
    const [iccid] = await orderSims(admin, account, 1);
    await activate(account, iccid);

    // The admin invites the owner: the link is shown once.
    const invited = await admin.post(`/v1/accounts/${account.accountId}/users`, { email: 'Olive.Owner@Example.com', role: 'owner', name: 'Olive' });
    expect(invited.status).toBe(201);
    expect(invited.body.user).toMatchObject({ email: 'olive.owner@example.com', role: 'owner', status: 'invited', accountId: account.accountId });
    expect(invited.body.invite).toMatchObject({
      token: expect.any(String),
      emailSent: false,
      url: `${platform.url}/invite#token=${invited.body.invite.token}`,
    });

    const info = await anonymous.post('/v1/invites/inspect', { token: invited.body.invite.token });
    expect(info.body).toMatchObject({ email: 'olive.owner@example.com', role: 'owner', accountName: 'Done-when' });
    const accepted = await anonymous.post('/v1/invites/accept', { token: invited.body.invite.token, password: PASSWORD });
    expect(accepted.status).toBe(201);
    expect(accepted.body.user).toMatchObject({ email: 'olive.owner@example.com', role: 'owner', platformAdmin: false, mfaEnabled: false });

    // The owner signs in (the console's way) and turns on two-factor authentication.
    const signedIn = await signIn(platform.url, 'olive.owner@example.com', PASSWORD);
    expect(signedIn.status).toBe(201);
    const owner = signedIn.client!;
    expect(owner.user).toMatchObject({ role: 'owner', accountId: account.accountId, scopes: ['read', 'write', 'mqtt', 'keys', 'audit', 'users'] });
    const started = await owner.post('/v1/users/me/mfa');
    expect(started.status).toBe(201);
    expect(started.body.otpauthUri).toMatch(/^otpauth:\/\/totp\/simfleet:olive\.owner%40example\.com\?secret=/);
    const enabled = await owner.post('/v1/users/me/mfa/confirm', { code: codeAt(started.body.secret, clock.now()) });
    expect(enabled.status).toBe(200);
    expect(enabled.body.recoveryCodes).toHaveLength(10);

    // The owner invites a viewer, who looks but cannot suspend.
    const viewer = await inviteAndAccept(owner, account.accountId, 'vic.viewer@example.com', 'viewer');
    expect((await viewer.get('/v1/sims')).body.data.map((s: { iccid: string }) => s.iccid)).toEqual([iccid]);
    const denied = await viewer.post(`/v1/sims/${iccid}/suspend`);
    expectProblem(denied, 403, 'forbidden');
    expect(denied.body).toMatchObject({ requiredScope: 'write', detail: 'Your role lacks the `write` scope' });
    expect((await owner.get(`/v1/sims/${iccid}`)).body.status).toBe('active');

    // The audit log names who did each step.
    const log = await owner.get('/v1/audit-log?limit=100');
    expect(log.status).toBe(200);
    const steps = log.body.data.map((e: any) => [e.actor, e.action, e.outcome]);
    const ownerActor = `user:${owner.user.id}`;
    const viewerActor = `user:${viewer.user.id}`;
    expect(steps).toEqual(
      expect.arrayContaining([
        ['api_key:admin', 'accounts.users.invite', 'success'],
        [ownerActor, 'invites.accept', 'success'],
        [ownerActor, 'sessions.sign-in', 'success'],
        [ownerActor, 'users.mfa.start', 'success'],
        [ownerActor, 'users.mfa.enable', 'success'],
        [ownerActor, 'accounts.users.invite', 'success'],
        [viewerActor, 'invites.accept', 'success'],
        [viewerActor, 'sims.suspend', 'denied'],
      ]),
    );
    const invite = log.body.data.find((e: any) => e.action === 'accounts.users.invite' && e.actor === 'api_key:admin');
    expect(invite).toMatchObject({
      platformActor: true,
      resource: `accounts/${account.accountId}/users/${invited.body.user.id}`,
      status: 201,
      address: '127.0.0.1',
    });
    expect(invite.requestId).toEqual(expect.any(String));
    // A viewer does not read the audit log.
    expectProblem(await viewer.get('/v1/audit-log'), 403, 'forbidden');
  });

  it('sets an HttpOnly, SameSite cookie with a new session id at every sign-in, and signs out here or everywhere', async () => {
    const account = await createAccount(admin, 'Cookies');
    await inviteAndAccept(admin, account.accountId, 'cookie@example.com', 'operator');
    const first = await signIn(platform.url, 'cookie@example.com', PASSWORD);
    const cookie = sessionCookieOf(first)!;
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie.attributes.split('; ').sort()).toEqual(['HttpOnly', 'Max-Age=43200', 'Path=/', 'SameSite=Lax']);
    expect(first.body).toMatchObject({ csrfToken: expect.any(String), expiresAt: expect.any(String), idleTimeoutSeconds: 1800 });
    expect(first.body.user).toEqual({
      id: expect.stringMatching(/^usr_/),
      email: 'cookie@example.com',
      name: null,
      role: 'operator',
      accountId: account.accountId,
      accountName: 'Cookies',
      platformAdmin: false,
      mfaEnabled: false,
      mfaRequired: false,
      scopes: ['read', 'write'],
    });

    // Signing in again from the same browser: a new id, and the one the browser presented ends (no fixation).
    const again = await fetch(`${platform.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `simfleet_session=${cookie.value}` },
      body: JSON.stringify({ email: 'cookie@example.com', password: PASSWORD }),
    });
    const second = sessionCookieOf({ status: again.status, headers: again.headers, body: await again.json() })!;
    expect(second.value).not.toBe(cookie.value);
    expectProblem(await first.client!.get('/v1/sessions/current'), 401, 'unauthenticated');
    const client = new SessionClient(platform.url, second.value, '', first.body.user);
    const current = await client.get('/v1/sessions/current');
    expect(current.status).toBe(200);
    client.csrfToken = current.body.csrfToken;

    const third = (await signIn(platform.url, 'cookie@example.com', PASSWORD)).client!;
    expect((await client.delete('/v1/sessions/current')).status).toBe(204);
    expectProblem(await client.get('/v1/sims'), 401, 'unauthenticated');
    expect((await third.get('/v1/sims')).status).toBe(200);
    const fourth = (await signIn(platform.url, 'cookie@example.com', PASSWORD)).client!;
    const everywhere = await fourth.delete('/v1/sessions');
    expect(everywhere.status).toBe(204);
    expect(sessionCookieOf(everywhere)?.attributes).toContain('Max-Age=0');
    expectProblem(await third.get('/v1/sims'), 401, 'unauthenticated');
    expectProblem(await fourth.get('/v1/sims'), 401, 'unauthenticated');
  });

  it('refuses cookie writes without the CSRF token or from another origin, and lets reads through', async () => {
    const account = await createAccount(admin, 'CSRF');
    const operator = await inviteAndAccept(admin, account.accountId, 'csrf@example.com', 'operator');
    const cookie = { cookie: `simfleet_session=${operator.cookie}` };
    const post = (headers: Record<string, string>) =>
      fetch(`${platform.url}/v1/groups`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...cookie, ...headers },
        body: JSON.stringify({ name: 'g' }),
      }).then(async (r) => ({ status: r.status, headers: r.headers, body: (await r.json()) as any }));
    const noToken = await post({ origin: platform.url });
    expectProblem(noToken, 403, 'csrf-rejected');
    expect(noToken.body.reason).toBe('csrf-token-missing');
    const wrongToken = await post({ origin: platform.url, 'x-csrf-token': 'x'.repeat(43) });
    expect(wrongToken.body.reason).toBe('csrf-token-invalid');
    const foreign = await post({ origin: 'https://evil.example', 'x-csrf-token': operator.csrfToken });
    expectProblem(foreign, 403, 'csrf-rejected');
    expect(foreign.body.reason).toBe('origin-mismatch');
    const noOrigin = await post({ 'x-csrf-token': operator.csrfToken });
    expect(noOrigin.body.reason).toBe('origin-missing');
    const viaReferer = await post({ referer: `${platform.url}/groups`, 'x-csrf-token': operator.csrfToken });
    expect(viaReferer.status).toBe(201);
    expect((await operator.get('/v1/groups')).body.data.map((g: { name: string }) => g.name)).toEqual(['g']);
    // Signing in from another site is refused too (login CSRF).
    const crossSignIn = await fetch(`${platform.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ email: 'csrf@example.com', password: PASSWORD }),
    });
    expect(crossSignIn.status).toBe(403);
    // An API key needs no CSRF token: browsers never send Authorization on their own.
    expect((await account.api.post('/v1/groups', { name: 'by-key' })).status).toBe(201);
  });

  it('requires the second factor at sign-in, checked against a fixed clock, with single-use codes', async () => {
    const account = await createAccount(admin, 'TOTP');
    const user = await inviteAndAccept(admin, account.accountId, 'totp@example.com', 'admin');
    const { secret } = (await user.post('/v1/users/me/mfa')).body;
    expectProblem(
      await user.post('/v1/users/me/mfa/confirm', { code: '000000' === codeAt(secret, clock.now()) ? '111111' : '000000' }),
      422,
      'validation-failed',
    );
    const { recoveryCodes } = (await user.post('/v1/users/me/mfa/confirm', { code: codeAt(secret, clock.now()) })).body;

    // A fixed instant: the platform's clock stands at the start of a 30-second step.
    const step = totpStep(clock.now().getTime()) + 4;
    clock.travelTo(new Date(step * 30_000 + 1_000));
    const code = hotp(base32Decode(secret), step);
    expect(code).toBe(codeAt(secret, clock.now()));

    expectProblem(await signIn(platform.url, 'totp@example.com', PASSWORD), 401, 'mfa-required');
    const wrong = await signIn(platform.url, 'totp@example.com', PASSWORD, code === '123456' ? '654321' : '123456');
    expectProblem(wrong, 401, 'invalid-code');
    expect(sessionCookieOf(wrong)).toBeUndefined();
    // The code of two steps ago is outside the drift window.
    expectProblem(await signIn(platform.url, 'totp@example.com', PASSWORD, hotp(base32Decode(secret), step - 2)), 401, 'invalid-code');
    const ok = await signIn(platform.url, 'totp@example.com', PASSWORD, code);
    expect(ok.status).toBe(201);
    expect(ok.body.user.mfaEnabled).toBe(true);
    // The same code again is a replay.
    expectProblem(await signIn(platform.url, 'totp@example.com', PASSWORD, code), 401, 'invalid-code');
    // A recovery code works once (typed in capitals, without dashes).
    expect((await signIn(platform.url, 'totp@example.com', PASSWORD, recoveryCodes[0].replace(/-/g, '').toUpperCase())).status).toBe(201);
    expectProblem(await signIn(platform.url, 'totp@example.com', PASSWORD, recoveryCodes[0]), 401, 'invalid-code');
    // Turning it off needs a code.
    const client = ok.client!;
    expectProblem(await client.delete('/v1/users/me/mfa', { code: recoveryCodes[0] }), 422, 'validation-failed');
    expect((await client.delete('/v1/users/me/mfa', { code: recoveryCodes[1] })).status).toBe(204);
    expect((await signIn(platform.url, 'totp@example.com', PASSWORD)).status).toBe(201);
  });

  it('lets an owner require 2FA for the account: until a user turns it on, only their own settings answer', async () => {
    const account = await createAccount(admin, 'Required');
    const owner = await inviteAndAccept(admin, account.accountId, 'req-owner@example.com', 'owner');
    const operator = await inviteAndAccept(owner, account.accountId, 'req-op@example.com', 'operator');
    const early = await owner.put(`/v1/accounts/${account.accountId}/security`, { mfaRequired: true });
    expectProblem(early, 409, 'conflict');
    expect(early.body.reason).toBe('mfa-not-enabled');
    const { secret } = (await owner.post('/v1/users/me/mfa')).body;
    await owner.post('/v1/users/me/mfa/confirm', { code: codeAt(secret, clock.now()) });
    expect((await owner.put(`/v1/accounts/${account.accountId}/security`, { mfaRequired: true })).body).toEqual({ mfaRequired: true });

    expectProblem(await operator.get('/v1/sims'), 403, 'mfa-enrolment-required');
    expect((await operator.get('/v1/sessions/current')).body.user).toMatchObject({ mfaRequired: true, mfaEnabled: false });
    const enrol = await operator.post('/v1/users/me/mfa');
    await operator.post('/v1/users/me/mfa/confirm', { code: codeAt(enrol.body.secret, clock.now()) });
    expect((await operator.get('/v1/sims')).status).toBe(200);
    expectProblem(await operator.delete('/v1/users/me/mfa', { code: codeAt(enrol.body.secret, clock.now()) }), 409, 'conflict');
  });

  it('throttles failed sign-ins with growing delays, the same for unknown e-mails, without telling which exist', async () => {
    const account = await createAccount(admin, 'Throttle');
    await inviteAndAccept(admin, account.accountId, 'victim@example.com', 'viewer');
    for (const email of ['victim@example.com', 'nobody@example.com']) {
      const answers = [];
      for (let i = 0; i < 3; i += 1) answers.push(await signIn(platform.url, email, 'wrong password!'));
      for (const answer of answers) {
        expectProblem(answer, 401, 'unauthenticated');
        expect(answer.body.detail).toBe('The e-mail or the password is wrong');
      }
      const throttled = await signIn(platform.url, email, email.startsWith('victim') ? PASSWORD : 'wrong password!');
      expectProblem(throttled, 429, 'rate-limited');
      expect(Number(throttled.headers.get('retry-after'))).toBe(1);
      clock.travelTo(new Date(clock.now().getTime() + 1_100));
      expectProblem(await signIn(platform.url, email, 'wrong password!'), 401, 'unauthenticated');
      const longer = await signIn(platform.url, email, 'wrong password!');
      expect(Number(longer.headers.get('retry-after'))).toBe(2);
    }
    clock.travelTo(new Date(clock.now().getTime() + 2_100));
    expect((await signIn(platform.url, 'victim@example.com', PASSWORD)).status).toBe(201);
    // A success forgets the failures.
    expectProblem(await signIn(platform.url, 'victim@example.com', 'wrong password!'), 401, 'unauthenticated');
  });

  it('keeps invites single-use and expiring, and refuses bad input naming the field', async () => {
    const account = await createAccount(admin, 'Invites');
    const invited = await admin.post(`/v1/accounts/${account.accountId}/users`, { email: 'once@example.com', role: 'viewer' });
    const token = invited.body.invite.token;
    const weak = await anonymous.post('/v1/invites/accept', { token, password: 'short' });
    expectProblem(weak, 422, 'validation-failed');
    expect(weak.body.errors).toEqual([{ field: 'password', message: 'at least 12 characters' }]);
    expect((await anonymous.post('/v1/invites/accept', { token, password: PASSWORD })).status).toBe(201);
    const reused = await anonymous.post('/v1/invites/accept', { token, password: PASSWORD });
    expectProblem(reused, 410, 'token-used');
    expectProblem(await anonymous.post('/v1/invites/accept', { token: 'x'.repeat(43), password: PASSWORD }), 404, 'not-found');

    const later = await admin.post(`/v1/accounts/${account.accountId}/users`, { email: 'late@example.com', role: 'viewer' });
    const replaced = await admin.post(`/v1/accounts/${account.accountId}/users/${later.body.user.id}/invite`);
    expect(replaced.status).toBe(201);
    expectProblem(await anonymous.post('/v1/invites/accept', { token: later.body.invite.token, password: PASSWORD }), 410, 'token-used');
    clock.travelTo(new Date(clock.now().getTime() + 7 * 86_400_000 + 60_000));
    const expired = await anonymous.post('/v1/invites/accept', { token: replaced.body.token, password: PASSWORD });
    expectProblem(expired, 410, 'token-expired');
    expect((await admin.get(`/v1/accounts/${account.accountId}/users/${later.body.user.id}`)).body.status).toBe('invited');

    const bad = await admin.post(`/v1/accounts/${account.accountId}/users`, { email: 'not-an-email', role: 'king', extra: 1 });
    expectProblem(bad, 422, 'validation-failed');
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'extra', 'role']);
    expectProblem(await admin.post(`/v1/accounts/${account.accountId}/users`, { email: 'ONCE@example.com', role: 'viewer' }), 409, 'conflict');
    expectProblem(await admin.post('/v1/accounts/acc_nope/users', { email: 'x@example.com', role: 'viewer' }), 404, 'not-found');
    const signInBad = await anonymous.post('/v1/sessions', { email: 1 });
    expectProblem(signInBad, 422, 'validation-failed');
    expect(signInBad.body.errors.map((e: { field: string }) => e.field)).toEqual(['email', 'password']);
    const patch = await admin.patch(`/v1/accounts/${account.accountId}/users/${later.body.user.id}`, {});
    expectProblem(patch, 422, 'validation-failed');
    expectProblem(await anonymous.post('/v1/password-resets/accept', { token: 'y'.repeat(43), password: 'short' }), 422, 'validation-failed');
  });

  it('refuses role escalation, protects the last owner, and disables users (their sessions end)', async () => {
    const account = await createAccount(admin, 'Roles');
    const owner = await inviteAndAccept(admin, account.accountId, 'roles-owner@example.com', 'owner');
    const adminUser = await inviteAndAccept(owner, account.accountId, 'roles-admin@example.com', 'admin');

    // An admin manages keys, up to its own scopes; it does not manage users.
    const key = await adminUser.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'ci', scopes: ['read', 'write', 'audit'] });
    expect(key.status).toBe(201);
    const keysBefore = (await adminUser.get(`/v1/accounts/${account.accountId}/api-keys`)).body.data.length;
    const above = await adminUser.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'x', scopes: ['users'] });
    expectProblem(above, 403, 'forbidden');
    expect(above.body).toMatchObject({ reason: 'above-own-role', missingScopes: ['users'] });
    expect((await adminUser.get(`/v1/accounts/${account.accountId}/api-keys`)).body.data).toHaveLength(keysBefore);
    expectProblem(await adminUser.patch(`/v1/accounts/${account.accountId}/users/${adminUser.user.id}`, { role: 'owner' }), 403, 'forbidden');
    expectProblem(await adminUser.post(`/v1/accounts/${Date.now()}/api-keys`, { name: 'x', scopes: ['read'] }), 404, 'not-found');

    // A key with `users` but not every scope of a role cannot grant it, nor change someone holding it.
    const usersKey = (await owner.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'hr', scopes: ['read', 'users'] })).body.key;
    const hr = anonymous.withKey(usersKey);
    const grantOwner = await hr.post(`/v1/accounts/${account.accountId}/users`, { email: 'boss@example.com', role: 'owner' });
    expectProblem(grantOwner, 403, 'forbidden');
    expect(grantOwner.body.missingScopes).toEqual(['write', 'mqtt', 'keys', 'audit']);
    expectProblem(await hr.patch(`/v1/accounts/${account.accountId}/users/${adminUser.user.id}`, { disabled: true }), 403, 'forbidden');
    expect((await hr.post(`/v1/accounts/${account.accountId}/users`, { email: 'reader@example.com', role: 'viewer' })).status).toBe(201);
    expect((await admin.get(`/v1/accounts/${account.accountId}/users?limit=10`)).body.data).toHaveLength(3);

    // The last active owner cannot lose the role, be disabled or removed; with another owner they can.
    const last = await owner.patch(`/v1/accounts/${account.accountId}/users/${owner.user.id}`, { role: 'admin' });
    expectProblem(last, 409, 'conflict');
    expect(last.body.reason).toBe('last-owner');
    expectProblem(await owner.patch(`/v1/accounts/${account.accountId}/users/${owner.user.id}`, { disabled: true }), 409, 'conflict');
    expectProblem(await admin.delete(`/v1/accounts/${account.accountId}/users/${owner.user.id}`), 409, 'conflict');
    expect((await owner.get(`/v1/accounts/${account.accountId}/users/${owner.user.id}`)).body).toMatchObject({ role: 'owner', status: 'active' });
    expect((await owner.patch(`/v1/accounts/${account.accountId}/users/${adminUser.user.id}`, { role: 'owner' })).body.role).toBe('owner');
    expect((await adminUser.patch(`/v1/accounts/${account.accountId}/users/${owner.user.id}`, { role: 'viewer' })).body.role).toBe('viewer');

    // Disabled: sessions end at once; signing in says why (after the right password only).
    expect((await adminUser.patch(`/v1/accounts/${account.accountId}/users/${owner.user.id}`, { disabled: true })).body.status).toBe('disabled');
    expectProblem(await owner.get('/v1/sims'), 401, 'unauthenticated');
    const disabled = await signIn(platform.url, 'roles-owner@example.com', PASSWORD);
    expectProblem(disabled, 403, 'forbidden');
    expect(disabled.body.reason).toBe('user-disabled');
    expectProblem(await signIn(platform.url, 'roles-owner@example.com', 'wrong password!'), 401, 'unauthenticated');

    // Another account's users are not found.
    const other = await createAccount(admin, 'Other');
    expectProblem(await adminUser.get(`/v1/accounts/${other.accountId}/users`), 404, 'not-found');
  });

  it('resets a password with a one-time link issued by an owner; every session of the user ends', async () => {
    const account = await createAccount(admin, 'Reset');
    const owner = await inviteAndAccept(admin, account.accountId, 'reset-owner@example.com', 'owner');
    const operator = await inviteAndAccept(owner, account.accountId, 'reset-op@example.com', 'operator');
    const link = await owner.post(`/v1/accounts/${account.accountId}/users/${operator.user.id}/password-reset`);
    expect(link.status).toBe(201);
    expect(link.body.url).toBe(`${platform.url}/reset-password#token=${link.body.token}`);
    expect((await anonymous.post('/v1/password-resets/accept', { token: link.body.token, password: 'a brand new passphrase' })).status).toBe(204);
    expectProblem(await operator.get('/v1/sims'), 401, 'unauthenticated');
    expectProblem(
      await anonymous.post('/v1/password-resets/accept', { token: link.body.token, password: 'another new passphrase' }),
      410,
      'token-used',
    );
    expectProblem(await signIn(platform.url, 'reset-op@example.com', PASSWORD), 401, 'unauthenticated');
    const back = (await signIn(platform.url, 'reset-op@example.com', 'a brand new passphrase')).client!;

    // Changing one's own password needs the current one, and ends the other sessions.
    const elsewhere = (await signIn(platform.url, 'reset-op@example.com', 'a brand new passphrase')).client!;
    const wrong = await back.post('/v1/users/me/password', { currentPassword: 'nope', newPassword: 'the third passphrase' });
    expectProblem(wrong, 422, 'validation-failed');
    expect(wrong.body.errors).toEqual([{ field: 'currentPassword', message: 'wrong password' }]);
    expect(
      (await back.post('/v1/users/me/password', { currentPassword: 'a brand new passphrase', newPassword: 'the third passphrase' })).status,
    ).toBe(204);
    expect((await back.get('/v1/sims')).status).toBe(200);
    expectProblem(await elsewhere.get('/v1/sims'), 401, 'unauthenticated');
    // The self-service request answers the same for any e-mail.
    const known = await anonymous.post('/v1/password-resets', { email: 'reset-op@example.com' });
    const unknown = await anonymous.post('/v1/password-resets', { email: 'ghost@example.com' });
    expect([known.status, unknown.status]).toEqual([202, 202]);
    expect(known.body).toEqual(unknown.body);
  });

  it('records a bulk suspend under the user who started it; no endpoint alters the log, and the database refuses to', async () => {
    const account = await createAccount(admin, 'Bulk');
    const iccids = await orderSims(admin, account, 3);
    for (const iccid of iccids) await activate(account, iccid);
    const operator = await inviteAndAccept(admin, account.accountId, 'bulk-op@example.com', 'operator');
    const job = await operator.post('/v1/sims/bulk', { action: 'suspend', iccids, reason: 'theft' });
    expect(job.status).toBe(202);
    await eventually(async () => ((await operator.get(`/v1/jobs/${job.body.id}`)).body.status === 'completed' ? true : undefined));
    const owner = await inviteAndAccept(admin, account.accountId, 'bulk-owner@example.com', 'owner');
    const log = await owner.get(`/v1/audit-log?action=sims.suspend&actor=user:${operator.user.id}`);
    expect(log.body.data).toHaveLength(3);
    expect(log.body.data.map((e: any) => e.resource).sort()).toEqual(iccids.map((i) => `sims/${i}`).sort());
    const submitted = (await owner.get(`/v1/audit-log?action=sims.bulk&actor=user:${operator.user.id}`)).body.data[0];
    expect(submitted).toMatchObject({ outcome: 'success', status: 202, actorName: 'bulk-op@example.com' });
    for (const entry of log.body.data) expect(entry).toMatchObject({ outcome: 'success', via: `job:${job.body.id}`, requestId: submitted.requestId });
    // The history of each SIM names the same user.
    expect((await owner.get(`/v1/sims/${iccids[0]}/history`)).body.data.at(-1)).toMatchObject({
      action: 'suspend',
      actor: `user:${operator.user.id}`,
    });

    for (const method of ['PUT', 'PATCH', 'DELETE', 'POST']) {
      const res = await owner.request(method, `/v1/audit-log${method === 'POST' ? '' : `/${log.body.data[0].id}`}`, {});
      expect(res.status).toBe(404);
    }
    const db = platform.platform.app.get(Database, { strict: false });
    await expect(db.query("update audit_log set actor = 'someone else'")).rejects.toThrow(/append-only/);
    await expect(db.query('delete from audit_log')).rejects.toThrow(/append-only/);
    expect((await owner.get(`/v1/audit-log?action=sims.suspend&actor=user:${operator.user.id}`)).body.data).toHaveLength(3);
  });

  it('filters, pages (keyset) and exports the log as CSV; each tenant sees its own, the admin the platform’s', async () => {
    const alice = await createAccount(admin, 'Alice audit');
    const bob = await createAccount(admin, 'Bob audit');
    const aliceOwner = await inviteAndAccept(admin, alice.accountId, 'alice-audit@example.com', 'owner');
    const bobOwner = await inviteAndAccept(admin, bob.accountId, 'bob-audit@example.com', 'owner');
    for (let i = 0; i < 5; i += 1) await aliceOwner.post('/v1/groups', { name: `g${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await aliceOwner.get(`/v1/audit-log?action=groups.&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.data.map((e: any) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(seen.map(Number)).toEqual([...seen.map(Number)].sort((a, b) => b - a));
    const bobView = await bobOwner.get('/v1/audit-log?limit=1000');
    expect(bobView.body.data.every((e: any) => e.accountId === bob.accountId)).toBe(true);
    expect(JSON.stringify(bobView.body)).not.toContain('alice-audit');

    const csv = await aliceOwner.get('/v1/audit-log?action=groups.create&limit=3', { accept: 'text/csv' });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (csv.body as string).trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,at,accountId,actor,actorName,platformActor,action,resource,outcome,status,requestId,via,address');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(`,user:${aliceOwner.user.id},alice-audit@example.com,false,groups.create,groups/`);
    expect(csv.headers.get('link')).toMatch(/^<\/v1\/audit-log\?action=groups\.create&limit=3&cursor=[^>]+>; rel="next"$/);

    // The platform admin sees the platform's own log (its actors' entries), or an account's on request.
    const platformLog = await admin.get('/v1/audit-log?limit=1000');
    expect(platformLog.body.data.every((e: any) => e.accountId === null || e.platformActor)).toBe(true);
    expect(platformLog.body.data.some((e: any) => e.action === 'accounts.create')).toBe(true);
    expect((await admin.get(`/v1/audit-log?accountId=${alice.accountId}&action=groups.create`)).body.data).toHaveLength(5);
    expectProblem(await aliceOwner.get(`/v1/audit-log?accountId=${bob.accountId}`), 422, 'validation-failed');
    expectProblem(await aliceOwner.get('/v1/audit-log?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z'), 422, 'validation-failed');
    expectProblem(await aliceOwner.get('/v1/audit-log?cursor=zzz'), 422, 'validation-failed');
  });

  // It starts a platform of its own: as long as a suite's beforeAll may take.
  it('throttles invalid API keys per address with growing delays (300 wrong keys in a row), while keys verified a moment ago keep working', async () => {
    const own = await provisionShape(shape);
    const strict = await startTestPlatform(own.env, undefined, { AUTH_FAILURES_PER_ADDRESS: '20' });
    try {
      const admin2 = new ApiClient(strict.url, ADMIN_KEY);
      const account = await createAccount(admin2, 'Keys');
      const wrong = new ApiClient(strict.url, `key_01ARZ3NDEKTSV4RRFFQ69G5FAV.${'a'.repeat(43)}`);
      expect((await account.api.get('/v1/sims')).status).toBe(200);
      const statuses: number[] = [];
      for (let i = 0; i < 25; i += 1) statuses.push((await wrong.get('/v1/sims')).status);
      expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
      const limited = await wrong.get('/v1/sims');
      expectProblem(limited, 429, 'rate-limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // The client verified a moment ago still gets through; a key this process has not seen waits too.
      expect((await account.api.get('/v1/sims')).status).toBe(200);
      expectProblem(await new ApiClient(strict.url, account.readKey).get('/v1/sims'), 429, 'rate-limited');
      for (let i = 0; i < 274; i += 1) statuses.push((await wrong.get('/v1/sims')).status);
      const evaluated = statuses.filter((s) => s === 401).length;
      expect(statuses).toHaveLength(299);
      expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
      // Delays double (1 s, 2 s, 4 s…): a handful more were evaluated in the seconds the storm lasted.
      expect(evaluated).toBeGreaterThanOrEqual(20);
      expect(evaluated).toBeLessThanOrEqual(30);
    } finally {
      await strict.stop();
      await own.release();
    }
  }, 180_000);

  it('keeps no secret readable at rest: tokens, sessions and recovery codes as digests, TOTP secrets sealed', async () => {
    const account = await createAccount(admin, 'At rest');
    const invited = await admin.post(`/v1/accounts/${account.accountId}/users`, { email: 'rest@example.com', role: 'admin' });
    const user = await inviteAndAccept(admin, account.accountId, 'rest2@example.com', 'admin');
    const { secret } = (await user.post('/v1/users/me/mfa')).body;
    const { recoveryCodes } = (await user.post('/v1/users/me/mfa/confirm', { code: codeAt(secret, clock.now()) })).body;
    const db = platform.platform.app.get(Database, { strict: false });
    const dump = JSON.stringify([
      await db.query('select * from users'),
      await db.query('select * from user_tokens'),
      await db.query('select * from user_sessions'),
      await db.query('select * from user_recovery_codes'),
      await db.query('select * from audit_log'),
    ]);
    for (const secretValue of [
      invited.body.invite.token,
      user.cookie,
      secret,
      PASSWORD,
      ...recoveryCodes,
      ...recoveryCodes.map((c: string) => c.replace(/-/g, '')),
    ]) {
      expect(dump).not.toContain(secretValue);
    }
    expect(dump).toMatch(/"mfa_secret":"sb1\./);
  });

  it('expires sessions after the idle timeout and at the absolute maximum', async () => {
    const account = await createAccount(admin, 'Expiry');
    await inviteAndAccept(admin, account.accountId, 'expiry@example.com', 'viewer');
    const idle = (await signIn(platform.url, 'expiry@example.com', PASSWORD)).client!;
    const busy = (await signIn(platform.url, 'expiry@example.com', PASSWORD)).client!;
    const start = clock.now().getTime();
    // The busy session makes a request every 20 minutes; the idle one none.
    for (let minutes = 20; minutes <= 60; minutes += 20) {
      clock.travelTo(new Date(start + minutes * 60_000));
      expect((await busy.get('/v1/sims')).status).toBe(200);
    }
    const ended = await idle.get('/v1/sims');
    expectProblem(ended, 401, 'unauthenticated');
    expect(ended.body.reason).toBe('session-idle');
    expect(sessionCookieOf(ended)?.attributes).toContain('Max-Age=0');
    // Past SESSION_MAX_AGE (12 h), even an active session ends.
    for (let minutes = 80; minutes <= 12 * 60 + 20; minutes += 20) {
      clock.travelTo(new Date(start + minutes * 60_000));
      const res = await busy.get('/v1/sessions/current');
      if (minutes < 12 * 60) expect(res.status).toBe(200);
      else {
        expectProblem(res, 401, 'unauthenticated');
        expect(res.body.reason).toBe('session-expired');
      }
    }
  });

  it('keeps audit entries for AUDIT_LOG_RETENTION, then the hourly purge removes them (and ended sessions)', async () => {
    const account = await createAccount(admin, 'Retention');
    const owner = await inviteAndAccept(admin, account.accountId, 'retention@example.com', 'owner');
    await owner.post('/v1/groups', { name: 'kept a while' });
    const housekeeping = platform.platform.app.get(IdentityHousekeeping, { strict: false });
    expect((await housekeeping.purge()).auditEntries).toBe(0);
    expect((await owner.get('/v1/audit-log?action=groups.create')).body.data).toHaveLength(1);
    clock.travelTo(new Date(clock.now().getTime() + 401 * 86_400_000));
    const purged = await housekeeping.purge();
    expect(purged.auditEntries).toBeGreaterThan(10);
    expect(purged.sessions).toBeGreaterThan(0);
    expect((await admin.get(`/v1/audit-log?accountId=${account.accountId}`)).body.data.filter((e: any) => e.action === 'groups.create')).toEqual([]);
  });
});
