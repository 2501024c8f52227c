import { Database } from '@simfleet/persistence';
import { createAccount, orderSims } from './support/fleet.js';
import { ApiClient } from './support/http.js';
import { ADMIN_KEY, SHAPES, provisionShape, startTestPlatform, type ShapeResources, type TestPlatform } from './support/platform.js';
import { handedOutSecrets, secretsAtRest } from './support/secrets.js';

// Every secret the API hands out — API keys, device secrets, webhook signing secrets, and whatever new kind
// a response names like one (support/secrets.ts) — must be unreadable in the database and Redis. Every e2e
// suite checks that when its platform stops; this one runs each secret-issuing flow, with Idempotency-Key
// (whose stored responses carry those secrets), and checks the detector itself.

describe.each(SHAPES)('secrets at rest (%s shape)', (shape) => {
  let resources: ShapeResources;
  let platform: TestPlatform;
  let admin: ApiClient;

  beforeAll(async () => {
    resources = await provisionShape(shape);
    platform = await startTestPlatform(resources.env, undefined, { IDEMPOTENCY_KEY_TTL: '3s' });
    admin = new ApiClient(platform.url, ADMIN_KEY);
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
});
