import { Database } from '@simfleet/persistence';
import { createAccount, orderSims } from './support/fleet.js';
import { ApiClient } from './support/http.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { handedOutSecrets, secretsAtRest } from './support/secrets.js';
import { SessionClient, codeAt, inviteAndAccept, sessionCookieOf, signIn } from './support/session.js';

// Every secret the API hands out — API keys, device secrets, webhook signing secrets, invite and reset tokens,
// session cookies, TOTP secrets and recovery codes, and whatever new kind a response names like one
// (support/secrets.ts) — and every password or token a successful request sent, must be unreadable in the
// database and Redis. Every e2e suite checks that when its platform stops; this one runs each
// secret-issuing flow, with Idempotency-Key (whose stored responses carry those secrets), and checks the
// detector itself.

describe.each(SHAPES)('secrets at rest (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;
  let anonymous: ApiClient;

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, { IDEMPOTENCY_KEY_TTL: '3s' });
    admin = new ApiClient(platform.url, ADMIN_KEY);
    anonymous = new ApiClient(platform.url);
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    await resources?.release();
  }, 60_000);

  it('replays each secret-issuing request within the window, and stores none of the secrets readable', async () => {
    const account = await createAccount(admin, 'Secretive Fleet');
    const [iccid] = await orderSims(admin, account, 1);
    const idem = (key: string) => ({ 'idempotency-key': `${shape}-${key}` });

    const key = await admin.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'ci', scopes: ['read'] }, idem('api-key'));
    expect(key.status).toBe(201);
    // The same body with its members in another order is the same request.
    const keyAgain = await admin.post(`/v1/accounts/${account.accountId}/api-keys`, { scopes: ['read'], name: 'ci' }, idem('api-key'));
    expect(keyAgain.headers.get('idempotency-replayed')).toBe('true');
    expect(keyAgain.body).toEqual(key.body);

    const activated = await account.api.post(`/v1/sims/${iccid}/activate`, undefined, idem('activate'));
    expect(activated.status).toBe(200);
    expect(activated.body.deviceSecret).toEqual(expect.any(String));
    expect((await account.api.post(`/v1/sims/${iccid}/activate`, undefined, idem('activate'))).body.deviceSecret).toBe(activated.body.deviceSecret);

    const rotated = await account.api.post(`/v1/sims/${iccid}/credentials`, undefined, idem('credentials'));
    expect(rotated.status).toBe(201);
    const webhook = await account.api.post('/v1/webhooks', { url: 'http://93.184.215.14/hook', events: ['*'], enabled: false }, idem('webhook'));
    expect(webhook.body.secret).toMatch(/^whsec_/);
    const newSecret = await account.api.post(`/v1/webhooks/${webhook.body.id}/rotate-secret`, undefined, idem('rotate'));
    expect(newSecret.body.secret).toMatch(/^whsec_/);
    expect((await account.api.post(`/v1/webhooks/${webhook.body.id}/rotate-secret`, undefined, idem('rotate'))).body.secret).toBe(
      newSecret.body.secret,
    );

    const handedOut = handedOutSecrets().map((s) => s.value);
    for (const secret of [key.body.key, activated.body.deviceSecret, rotated.body.secret, webhook.body.secret, newSecret.body.secret]) {
      expect(handedOut).toContain(secret);
    }
    expect(await secretsAtRest(platform.platform, platform.env)).toEqual([]);
    // Reading the endpoint opens its sealed secrets (and its previous one, still signing during the overlap).
    expect((await account.api.get(`/v1/webhooks/${webhook.body.id}`)).body.previousSecretExpiresAt).toEqual(expect.any(String));

    // Past the window (IDEMPOTENCY_KEY_TTL, 3 s here) the key is new again: a second API key, not a replay.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const afterWindow = await admin.post(`/v1/accounts/${account.accountId}/api-keys`, { name: 'ci', scopes: ['read'] }, idem('api-key'));
    expect(afterWindow.status).toBe(201);
    expect(afterWindow.headers.get('idempotency-replayed')).toBeNull();
    expect(afterWindow.body.id).not.toBe(key.body.id);
  }, 120_000);

  it('keeps none of the identity secrets readable: passwords, invite and reset tokens, session cookies, TOTP secrets, recovery codes', async () => {
    const account = await createAccount(admin, 'People Fleet');
    const email = `${shape}.secretive@example.com`;
    const invited = await admin.post(`/v1/accounts/${account.accountId}/users`, { email, role: 'owner' });
    expect(invited.status).toBe(201);
    const owner = await inviteAndAccept(admin, account.accountId, `${shape}.owner@example.com`, 'owner');
    const accepted = await anonymous.post('/v1/invites/accept', { token: invited.body.invite.token, password: 'the first passphrase of this user' });
    expect(accepted.status).toBe(201);
    const user = new SessionClient(platform.url, sessionCookieOf(accepted)!.value, accepted.body.csrfToken, accepted.body.user);

    const mfa = await user.post('/v1/users/me/mfa');
    expect(mfa.body.secret).toEqual(expect.any(String));
    const confirmed = await user.post('/v1/users/me/mfa/confirm', { code: codeAt(mfa.body.secret, new Date()) });
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    const changed = await user.post('/v1/users/me/password', {
      currentPassword: 'the first passphrase of this user',
      newPassword: 'the second passphrase of this user',
    });
    expect(changed.status).toBeLessThan(300);

    // An owner issues a reset link (with an Idempotency-Key: the stored response carries the token), which is used.
    const reset = await owner.post(`/v1/accounts/${account.accountId}/users/${invited.body.user.id}/password-reset`, undefined, {
      'idempotency-key': `${shape}-reset`,
    });
    expect(reset.status).toBe(201);
    const newPassword = 'the third passphrase of this user';
    expect((await anonymous.post('/v1/password-resets/accept', { token: reset.body.token, password: newPassword })).status).toBe(204);
    const signedIn = await signIn(platform.url, email, newPassword, confirmed.body.recoveryCodes[0]);
    expect(signedIn.status).toBe(201);

    const handedOut = handedOutSecrets().map((s) => s.value);
    for (const secret of [
      invited.body.invite.token,
      'the first passphrase of this user',
      'the second passphrase of this user',
      reset.body.token,
      newPassword,
      sessionCookieOf(accepted)!.value,
      sessionCookieOf(signedIn)!.value,
      accepted.body.csrfToken,
      mfa.body.secret,
      ...confirmed.body.recoveryCodes,
    ]) {
      expect(handedOut).toContain(secret);
    }
    expect(await secretsAtRest(platform.platform, platform.env)).toEqual([]);
  }, 120_000);

  it('finds a secret stored in clear (the detector works)', async () => {
    const secret = handedOutSecrets().find((s) => s.source === 'key')!;
    const db = platform.platform.app.get(Database);
    await db.query("insert into accounts (id, name) values ('acc_leak', $1)", [`leaked ${secret.value.split('.').pop()}`]);
    try {
      const found = await secretsAtRest(platform.platform, platform.env);
      expect(found).toEqual([expect.objectContaining({ where: 'table public.accounts', secret: expect.objectContaining({ source: 'key' }) })]);
    } finally {
      await db.query("delete from accounts where id = 'acc_leak'");
    }
  });

  it('finds a TOTP secret stored as its bytes, a recovery code without its dashes, a password as sent', async () => {
    const totp = handedOutSecrets().find((s) => s.source === 'secret' && /^[A-Z2-7]{32}$/.test(s.value))!;
    const recovery = handedOutSecrets().find((s) => s.source.startsWith('recoveryCodes/'))!;
    const password = handedOutSecrets().find((s) => s.source === 'request/newPassword')!;
    const db = platform.platform.app.get(Database);
    const bytes = Buffer.from(
      totp.value
        .replace(/./g, (c) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(c).toString(2).padStart(5, '0'))
        .match(/.{8}/g)!
        .map((b) => parseInt(b, 2)),
    );
    await db.query("insert into accounts (id, name) values ('acc_leak1', $1), ('acc_leak2', $2), ('acc_leak3', $3)", [
      `totp ${bytes.toString('hex')}`,
      `code ${recovery.value.replace(/-/g, '')}`,
      `pw ${password.value}`,
    ]);
    try {
      const found = await secretsAtRest(platform.platform, platform.env);
      expect(found.map((f) => f.secret.source).sort()).toEqual([password.source, recovery.source, totp.source].sort());
    } finally {
      await db.query("delete from accounts where id like 'acc_leak%'");
    }
  });
});
